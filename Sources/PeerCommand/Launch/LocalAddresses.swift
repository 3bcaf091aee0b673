internal import Foundation
internal import Glibc

/// Whether a host name is this host: loopback, this host's name, or an address of one of its
/// interfaces (getifaddrs).
enum LocalAddresses {
    static func contains(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host.hasPrefix("127.") { return true }
        if host == ProcessInfo.processInfo.hostName { return true }
        return interfaceAddresses().contains(host)
    }

    /// The numeric IPv4 and IPv6 addresses of this host's interfaces.
    static func interfaceAddresses() -> Set<String> {
        var first: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&first) == 0 else { return [] }
        defer { freeifaddrs(first) }
        var addresses = Set<String>()
        var cursor = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr else { continue }
            let family = Int32(address.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            var name = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let length = socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
            if getnameinfo(address, length, &name, socklen_t(name.count), nil, 0, NI_NUMERICHOST) == 0 {
                addresses.insert(String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: "%").first.map(String.init) ?? "")
            }
        }
        return addresses
    }
}
