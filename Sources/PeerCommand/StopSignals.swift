internal import Dispatch
internal import Glibc

/// SIGINT and SIGTERM turned into a call, instead of the end of the process.
enum StopSignals {
    /// Calls `handler` on each SIGINT or SIGTERM until the returned sources are cancelled.
    /// The signals are caught by a handler that does nothing (libdispatch's sources see them
    /// all the same), not ignored: an ignored signal stays ignored in the processes this one
    /// starts, which a caught one does not, so `peer launch`'s peers and ssh clients still
    /// stop on SIGTERM.
    static func handle(_ handler: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { _ in }
            sigemptyset(&action.sa_mask)
            sigaction(number, &action, nil)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }
}
