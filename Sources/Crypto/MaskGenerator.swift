internal import CSodium
internal import Foundation

/// Whether a mask is added to or subtracted from a vector.
public enum MaskSign: Sendable {
    case add
    case subtract
}

/// The pseudorandom mask of secure aggregation: the Salsa20 keystream of a 32-byte seed (nonce
/// zero, 64-bit block counter from 0), read as little-endian words of the ring, added to or
/// subtracted from a vector in place. Salsa20 rather than ChaCha20: libsodium's AVX2 Salsa20
/// expands about 25% faster on this project's machines (docs/CRYPTO.md), and mask expansion is
/// most of the CPU time of secure aggregation.
///
/// Word `i` of the mask is the little-endian word at byte offset `i * W.bitWidth / 8` of the
/// keystream. Work is split across threads by block ranges, each thread expanding its own range
/// with `crypto_stream_salsa20_xor_ic` into a small reusable buffer, so the result is identical
/// for every thread count and no model-sized temporary is allocated.
public struct MaskGenerator: Sendable {
    /// Bytes in a mask seed.
    public static let seedByteCount = 32
    /// Bytes in the Salsa20 nonce.
    public static let nonceByteCount = 8
    /// Bytes in one Salsa20 block.
    static let blockByteCount = 64
    /// Blocks expanded per step of one thread (16 KiB: stays in L1/L2).
    static let chunkBlockCount = 256
    /// Below this many words per thread, extra threads cost more than they save.
    static let minimumWordsPerThread = 1 << 16

    /// Threads used when the caller does not say: the active processor count.
    public static var defaultThreadCount: Int { ProcessInfo.processInfo.activeProcessorCount }

    private let seed: SecureBytes
    private let nonce: [UInt8]

    /// A generator for one seed.
    /// - Parameters:
    ///   - seed: 32 secret bytes (a pairwise secret or a self-mask seed).
    ///   - nonce: 8 bytes; all zero by default, since every seed is used for one mask only.
    /// - Throws: `CryptoError.invalidKeyLength` for a wrong seed or nonce length.
    public init(seed: SecureBytes, nonce: [UInt8] = [UInt8](repeating: 0, count: nonceByteCount)) throws(CryptoError) {
        guard seed.count == Self.seedByteCount else {
            throw .invalidKeyLength(kind: "a mask seed", expected: Self.seedByteCount, actual: seed.count)
        }
        guard nonce.count == Self.nonceByteCount else {
            throw .invalidKeyLength(kind: "a Salsa20 nonce", expected: Self.nonceByteCount, actual: nonce.count)
        }
        Sodium.initialize()
        self.seed = seed
        self.nonce = nonce
    }

    /// The raw keystream, `byteCount` bytes from block `startingBlock` on.
    public func keystream(byteCount: Int, startingBlock: UInt64 = 0) -> [UInt8] {
        precondition(byteCount >= 0, "a negative keystream length")
        var output = [UInt8](repeating: 0, count: byteCount)
        output.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            xorKeystream(from: base, into: buffer, startingBlock: startingBlock)
        }
        return output
    }

    /// Writes the raw keystream from block 0 into `buffer` with one `crypto_stream_salsa20` call:
    /// the baseline that mask expansion is measured against.
    public func writeKeystream(into buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), buffer.count > 0 else { return }
        seed.withUnsafeBytes { key in
            _ = crypto_stream_salsa20(base, UInt64(buffer.count), nonce, key.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// Adds or subtracts the mask to `words` in place.
    /// - Parameters:
    ///   - sign: `.add` or `.subtract`.
    ///   - words: the vector; at most 2^38 bytes.
    ///   - threadCount: the most threads to use; the result does not depend on it.
    public func apply<Word: RingWord>(_ sign: MaskSign, to words: inout [Word], threadCount: Int = defaultThreadCount) {
        Self.apply([(self, sign)], to: &words, threadCount: threadCount)
    }

    /// Adds or subtracts the mask to the words in `buffer` in place.
    public func apply<Word: RingWord>(_ sign: MaskSign, to buffer: UnsafeMutableBufferPointer<Word>,
                                      threadCount: Int = defaultThreadCount) {
        Self.apply([(self, sign)], to: buffer, threadCount: threadCount)
    }

    /// Adds or subtracts several masks to `words` in one pass over it: each 16 KiB piece of the
    /// vector stays in cache while every mask's keystream for it is added, instead of the whole
    /// vector going through memory once per mask. The result is that of applying them one by one.
    public static func apply<Word: RingWord>(_ masks: [(generator: MaskGenerator, sign: MaskSign)], to words: inout [Word],
                                             threadCount: Int = defaultThreadCount) {
        words.withUnsafeMutableBufferPointer { apply(masks, to: $0, threadCount: threadCount) }
    }

    /// Adds or subtracts several masks to the words in `buffer` in one pass.
    public static func apply<Word: RingWord>(_ masks: [(generator: MaskGenerator, sign: MaskSign)], to buffer: UnsafeMutableBufferPointer<Word>,
                                             threadCount: Int = defaultThreadCount) {
        precondition(threadCount >= 1, "at least one thread")
        let wordByteCount = MemoryLayout<Word>.size
        guard let base = buffer.baseAddress, buffer.count > 0, !masks.isEmpty else { return }
        let wordsPerBlock = blockByteCount / wordByteCount
        let blockCount = (buffer.count + wordsPerBlock - 1) / wordsPerBlock
        let threads = max(1, min(threadCount, buffer.count / minimumWordsPerThread))
        let vector = SendableBuffer(base: base, count: buffer.count)
        DispatchQueue.concurrentPerform(iterations: threads) { part in
            let firstBlock = blockCount * part / threads
            let endBlock = blockCount * (part + 1) / threads
            let start = firstBlock * wordsPerBlock, end = min(endBlock * wordsPerBlock, vector.count)
            guard start < end else { return }
            applyRange(masks, to: vector.base + start, count: end - start, firstBlock: UInt64(firstBlock))
        }
    }

    // MARK: - Implementation

    /// One thread's share: chunk by chunk, each mask expanded into a small buffer and added or subtracted.
    private static func applyRange<Word: RingWord>(_ masks: [(generator: MaskGenerator, sign: MaskSign)], to words: UnsafeMutablePointer<Word>,
                                                   count: Int, firstBlock: UInt64) {
        let wordsPerChunk = chunkBlockCount * blockByteCount / MemoryLayout<Word>.size
        // Keystream XOR zeros is the keystream: reading a zero buffer that stays in cache is
        // cheaper than clearing the chunk before every expansion.
        let zeros = UnsafeMutableBufferPointer<Word>.allocate(capacity: wordsPerChunk)
        zeros.initialize(repeating: 0)
        let chunk = UnsafeMutableBufferPointer<Word>.allocate(capacity: wordsPerChunk)
        defer {
            sodium_memzero(chunk.baseAddress!, wordsPerChunk * MemoryLayout<Word>.size)
            chunk.deallocate()
            zeros.deallocate()
        }
        var done = 0
        var block = firstBlock
        while done < count {
            let n = min(wordsPerChunk, count - done)
            let bytes = UnsafeMutableRawBufferPointer(start: chunk.baseAddress, count: n * MemoryLayout<Word>.size)
            for (generator, sign) in masks {
                generator.xorKeystream(from: zeros.baseAddress!, into: bytes, startingBlock: block)
                Word.accumulate(sign, mask: chunk.baseAddress!, into: words + done, count: n)
            }
            done += n
            block &+= UInt64(chunkBlockCount)
        }
    }

    /// Writes `source XOR keystream` (from `startingBlock`) into `output`; with an all-zero
    /// source that is the keystream itself. `source` may be `output`.
    private func xorKeystream(from source: UnsafeRawPointer, into output: UnsafeMutableRawBufferPointer, startingBlock: UInt64) {
        guard let base = output.baseAddress?.assumingMemoryBound(to: UInt8.self), output.count > 0 else { return }
        seed.withUnsafeBytes { key in
            _ = crypto_stream_salsa20_xor_ic(base, source.assumingMemoryBound(to: UInt8.self), UInt64(output.count), nonce,
                                             startingBlock, key.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
    }
}

/// A mutable buffer handed to worker threads that each touch a disjoint range of it.
private struct SendableBuffer<Element>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Element>
    let count: Int
}
