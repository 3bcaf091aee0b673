import Crypto

/// `peer keygen`: creates a peer's Ed25519 identity.
enum KeygenCommand {
    static let command = Command(
        name: "keygen",
        summary: "Create an Ed25519 identity key file (mode 0600) and print its public key.",
        usage: "peer keygen --out FILE [--force] [--json]",
        details: """
        OPTIONS:
          --out FILE              The secret key file to create (written 0600, atomically).
          --force                 Replace FILE if it exists.
          --json                  Print {"path", "publicKey"} as JSON.
          -h, --help              Show help information.

        The public key, "ed25519:<base64>", goes into the topology file's "key" field
        of this peer. Keep FILE private: 'peer run' refuses it if others can read it.
        """,
        run: run
    )

    static func run(_ arguments: inout Arguments, console: Console) throws -> Int32 {
        let path = try arguments.required("--out", placeholder: "FILE")
        let force = try arguments.flag("--force")
        let json = try arguments.flag("--json")
        try arguments.finish()
        let key = IdentityKey()
        try key.write(toFile: path, replacing: force)
        if json {
            console.json(["path": path, "publicKey": key.publicKey.text])
        } else {
            console.output(key.publicKey.text + "\n")
        }
        return ExitStatus.success
    }
}
