/// A pointer handed to worker threads that read disjoint (or shared, unchanging) parts of its memory.
struct SendablePointer<Element>: @unchecked Sendable {
    let pointer: UnsafePointer<Element>
    init(_ pointer: UnsafePointer<Element>) { self.pointer = pointer }
}

/// A mutable pointer handed to worker threads that write disjoint parts of its memory.
struct SendableMutablePointer<Element>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Element>
    init(_ pointer: UnsafeMutablePointer<Element>) { self.pointer = pointer }
}
