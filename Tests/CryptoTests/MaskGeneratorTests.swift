import Testing
@testable import Crypto

@Suite struct MaskGeneratorTests {
    let vector = KnownAnswers.shared.salsa20

    func generator() throws -> MaskGenerator {
        try MaskGenerator(seed: SecureBytes(copying: [UInt8](hex: vector.key)), nonce: [UInt8](hex: vector.nonce))
    }

    /// eSTREAM's Salsa20 vector: the keystream from block 0, and block 3 asked for on its own.
    @Test func estreamKeystream() throws {
        let mask = try generator()
        let keystream = mask.keystream(byteCount: 256)
        for (block, expected) in vector.blocks {
            let index = Int(block)!
            let start = 64 * index
            let slice = Array(keystream[start..<(start + 64)])
            #expect(slice.hexString == expected)
            #expect(mask.keystream(byteCount: 64, startingBlock: UInt64(index)).hexString == expected)
        }
        #expect(vector.blocks.count == 2)
    }

    /// The block counter is 64 bits wide: blocks on either side of 2^32 continue one keystream.
    @Test func theBlockCounterCarriesPast32Bits() throws {
        let mask = try generator()
        let across = mask.keystream(byteCount: 128, startingBlock: UInt64(UInt32.max))
        #expect(Array(across[64...]) == mask.keystream(byteCount: 64, startingBlock: 1 << 32))
        #expect(Array(across[64...]) != mask.keystream(byteCount: 64, startingBlock: 0))
    }

    /// The mask a vector gets equals the raw keystream `writeKeystream` produces in one call.
    @Test func expansionEqualsTheRawKeystream() throws {
        let mask = try MaskGenerator(seed: SecureBytes(randomCount: 32))
        var raw = [UInt8](repeating: 0, count: 4 * 20_000)
        raw.withUnsafeMutableBytes { mask.writeKeystream(into: $0) }
        var words = [UInt32](repeating: 0, count: 20_000)
        mask.apply(.add, to: &words, threadCount: 2)
        #expect(words.withUnsafeBytes { Array($0) } == raw)
    }

    @Test func maskWordsAreTheLittleEndianKeystream() throws {
        let mask = try MaskGenerator(seed: SecureBytes(randomCount: 32))
        let keystream = mask.keystream(byteCount: 8 * 100)
        var words32 = [UInt32](repeating: 0, count: 200)
        mask.apply(.add, to: &words32, threadCount: 1)
        var words64 = [UInt64](repeating: 0, count: 100)
        mask.apply(.add, to: &words64, threadCount: 1)
        for i in 0..<200 {
            let bytes = keystream[(4 * i)..<(4 * i + 4)]
            #expect(words32[i] == bytes.reversed().reduce(0) { $0 << 8 | UInt32($1) })
        }
        for i in 0..<100 {
            let bytes = keystream[(8 * i)..<(8 * i + 8)]
            #expect(words64[i] == bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) })
        }
    }

    @Test(arguments: [1, 7, 16, 100_003, 300_000])
    func resultDoesNotDependOnThreadCount(count: Int) throws {
        let mask = try MaskGenerator(seed: SecureBytes(randomCount: 32))
        var generator = SeededGenerator(seed: UInt64(count))
        let input = (0..<count).map { _ in UInt32.random(in: .min ... .max, using: &generator) }
        var single = input, double = input, many = input
        mask.apply(.add, to: &single, threadCount: 1)
        mask.apply(.add, to: &double, threadCount: 2)
        mask.apply(.add, to: &many, threadCount: 5)
        #expect(single == double)
        #expect(single == many)
        #expect(single != input)
        // The chunked expansion equals the one-piece keystream at the end of the vector too.
        let tail = mask.keystream(byteCount: 4 * count).suffix(4)
        let lastMask = tail.reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        #expect(single[count - 1] == input[count - 1] &+ lastMask)
    }

    /// One pass over the vector with several masks gives what applying them one by one gives,
    /// for lengths that end inside a chunk and on a chunk boundary, and any thread count.
    @Test(arguments: [1, 4095, 4096, 4097, 100_003])
    func severalMasksInOnePassEqualOneByOne(count: Int) throws {
        var generator = SeededGenerator(seed: UInt64(count) &+ 77)
        let input = (0..<count).map { _ in UInt32.random(in: .min ... .max, using: &generator) }
        let masks = try (0..<5).map { index in
            (generator: try MaskGenerator(seed: SecureBytes(randomCount: 32)), sign: index % 2 == 0 ? MaskSign.add : .subtract)
        }
        var oneByOne = input
        for (mask, sign) in masks { mask.apply(sign, to: &oneByOne, threadCount: 1) }
        for threads in [1, 3] {
            var fused = input
            MaskGenerator.apply(masks, to: &fused, threadCount: threads)
            #expect(fused == oneByOne)
        }
        var unchanged = input
        MaskGenerator.apply([], to: &unchanged)
        #expect(unchanged == input)
    }

    @Test func subtractUndoesAdd() throws {
        let mask = try MaskGenerator(seed: SecureBytes(randomCount: 32))
        let input = (0..<5000).map { UInt64($0) }
        var words = input
        mask.apply(.add, to: &words)
        mask.apply(.subtract, to: &words)
        #expect(words == input)
    }

    /// Every pair of peers derives one secret; the first of the pair adds its mask, the second
    /// subtracts it, so the sum over any set of peers is unmasked exactly.
    @Test(arguments: [(2, UInt64(1)), (3, 2), (5, 3), (8, 4)])
    func pairwiseMasksCancelInTheSum(peerCount: Int, seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        let ids = (0..<peerCount).map { "peer-\($0)" }.shuffled(using: &generator)
        let keys = ids.map { _ in X25519KeyPair() }
        let federation = Blake2b.hash(Array("federation".utf8))
        let dimension = 1000
        let inputs = ids.map { _ in (0..<dimension).map { _ in UInt32.random(in: 0...1000, using: &generator) } }
        var sum = [UInt32](repeating: 0, count: dimension)
        for (u, id) in ids.enumerated() {
            var masked = inputs[u]
            for (v, other) in ids.enumerated() where v != u {
                let secret = try KeyAgreement.pairwiseSecret(localKeyPair: keys[u], localID: id, remoteKey: keys[v].publicKey,
                                                             remoteID: other, federationID: federation, round: seed)
                try MaskGenerator(seed: secret).apply(KeyAgreement.precedes(id, other) ? .add : .subtract, to: &masked)
            }
            #expect(masked != inputs[u])
            for i in 0..<dimension { sum[i] &+= masked[i] }
        }
        let plainSum = (0..<dimension).map { i in inputs.reduce(UInt32(0)) { $0 &+ $1[i] } }
        #expect(sum == plainSum)
    }

    @Test func badSeedOrNonceLengthIsRejected() {
        #expect(throws: CryptoError.self) { try MaskGenerator(seed: SecureBytes(randomCount: 16)) }
        #expect(throws: CryptoError.self) { try MaskGenerator(seed: SecureBytes(randomCount: 32), nonce: [0, 0]) }
    }
}

@Suite struct RawKeystreamTests {
    @Test func writeKeystreamEqualsTheChunkedKeystream() throws {
        let mask = try MaskGenerator(seed: SecureBytes(randomCount: 32))
        var raw = [UInt8](repeating: 0xaa, count: 100_000)
        raw.withUnsafeMutableBytes { mask.writeKeystream(into: $0) }
        #expect(raw == mask.keystream(byteCount: raw.count))
    }
}
