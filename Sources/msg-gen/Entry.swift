import Foundation
import MSGCLI
import MSGKernels
import MSGServer

@main
struct Entry {
    static func main() async {
        // Before anything touches OpenBLAS: re-exec with its fast kernels if it
        // fell back to a generic core (Debian's 0.3.21 does on AVX-512 CPUs).
        BLAS.ensureFastCore()
        // A MSG_GEN_ISA the kernels cannot honour is an error, not a silent fallback.
        do { try KernelISA.checkEnvironment() } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            exit(2)
        }
        // `serve` runs its tasks on NIO's event loops (ServerRuntime): only
        // possible before any task reaches the global executor, so here.
        if CommandLine.arguments.dropFirst().first == "serve" {
            do { try ServerRuntime.installForServe() } catch {
                FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
                exit(2)
            }
        }
        // Negative numbers inside list options (NegativeNumbers): --batches 1 -8.
        await MSGGenCommand.main(NegativeNumbers.attach(Array(CommandLine.arguments.dropFirst())))
    }
}
