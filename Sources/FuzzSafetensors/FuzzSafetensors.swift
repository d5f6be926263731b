import MSGWeights

// libFuzzer target: the safetensors header parser and the model-file checks.
// Built with -DMSG_FUZZ (tools/fuzz.sh) libFuzzer calls the entry point;
// otherwise `FuzzSafetensors FILE...` replays inputs (the committed corpus).
func fuzzOne(_ bytes: [UInt8]) {
    guard let file = try? SafeTensorsFile(bytes: bytes, source: "fuzz") else { return }
    for name in file.names { _ = try? file.floats(name) }
    _ = try? ModelFile(file: file, fallbackName: "fuzz")
}

#if MSG_FUZZ
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEntry(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzzOne(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main enum Replay {
    static func main() { FuzzReplay.run(CommandLine.arguments.dropFirst(), fuzzOne) }
}
#endif
