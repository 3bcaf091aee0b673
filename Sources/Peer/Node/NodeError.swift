internal import Foundation
import Gossip
import Synchronization
/// Why a peer node cannot start or go on, with what to do about it.
public enum NodeError: Error, CustomStringConvertible, Equatable {
    /// Bad input the operator gave (exit 64): the file or option, what is wrong, the fix.
    case input(what: String, problem: String, fix: String)
    /// The state directory cannot be used.
    case state(path: String, problem: String, fix: String)
    /// Writing the state failed while running (a full disk, a file removed meanwhile).
    case storage(path: String, problem: String, fix: String)
    /// An address to listen on is taken or unusable (exit 1).
    case address(what: String, address: String, reason: String)
    /// Another `peer run` holds the state directory.
    case busy(path: String, pid: String)
    /// The federation started from another M(0) than this peer.
    case differentStart(own: String, federation: String, from: String)

    public var description: String {
        switch self {
        case let .input(what, problem, fix): return "\(what): \(problem)" + (fix.isEmpty ? "" : "; \(fix)")
        case let .state(path, problem, fix), let .storage(path, problem, fix): return "\(path): \(problem)" + (fix.isEmpty ? "" : "; \(fix)")
        case let .address(what, address, reason): return "\(what) \(address) cannot be listened on: \(reason)"
        case let .busy(path, pid): return "\(path) is in use by another peer run (pid \(pid)); stop it first ('peer stop --state \(path)')"
        case let .differentStart(own, federation, from):
            return "this peer's M(0) has hash \(own), the federation's (per \(from)) has \(federation); start every peer from the same --init file or the topology's seed"
        }
    }

    /// Whether the operator's input is at fault (exit status 64) rather than the run.
    public var isInputError: Bool {
        switch self {
        case .input, .state: true
        case .storage, .address, .busy, .differentStart: false
        }
    }
}
