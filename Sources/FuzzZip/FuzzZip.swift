import MSGWeights

// libFuzzer target: the zip container and the torch zip checkpoint reader
// behind it (ModelImporter detects the container by content).
// Built with -DMSG_FUZZ (tools/fuzz.sh) libFuzzer calls the entry point;
// otherwise `FuzzZip FILE...` replays inputs (the committed corpus).
func fuzzOne(_ bytes: [UInt8]) {
    _ = try? ModelImporter.convert(bytes: bytes, label: "fuzz")
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
