// swift-tools-version: 6.1
import PackageDescription

/// Serverless federated learning with secure aggregation.
///
/// Dependencies point downwards only: PeerCommand -> Peer -> {Gossip, Learn}, Gossip -> Crypto,
/// Crypto -> CSodium, Learn -> COpenBLAS. No Swift package dependencies: the only libraries are
/// libsodium and OpenBLAS, as system library targets.
let package = Package(
    name: "peer",
    products: [
        .executable(name: "peer", targets: ["PeerCommand"]),
        .library(name: "Peer", targets: ["Peer"]),
    ],
    targets: [
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .target(name: "Crypto", dependencies: ["CSodium"]),
        .target(name: "Learn", dependencies: ["COpenBLAS"]),
        .target(name: "Gossip", dependencies: ["Crypto"]),
        .target(name: "Peer", dependencies: ["Gossip", "Crypto", "Learn"]),
        .executableTarget(name: "PeerCommand", dependencies: ["Peer", "Gossip", "Crypto", "Learn"]),
        .testTarget(name: "CryptoTests", dependencies: ["Crypto"], resources: [.copy("Vectors")]),
        .testTarget(name: "LearnTests", dependencies: ["Learn", "Crypto"], resources: [.copy("Vectors")]),
        .testTarget(name: "GossipTests", dependencies: ["Gossip"]),
        .testTarget(name: "PeerTests", dependencies: ["Peer"]),
        .testTarget(name: "PeerCommandTests", dependencies: ["PeerCommand", "Gossip", "Crypto", "Learn"]),
    ]
)

// MARK: - Standard settings for every Swift target

for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}
