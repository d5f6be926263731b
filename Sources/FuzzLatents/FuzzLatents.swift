import MSGImage
import MSGWeights

// libFuzzer target: the latents readers: .npy (float32/float64 header, shape
// and size checks) and .npz (MSGWeights' zip reader, then .npy per member).
// Built with -DMSG_FUZZ (tools/fuzz.sh) libFuzzer calls the entry point;
// otherwise `FuzzLatents FILE...` replays inputs (the committed corpus).
func fuzzOne(_ bytes: [UInt8]) {
    if let members = try? ZipMembers.read(bytes, source: "fuzz") {
        for m in members { _ = try? NPY.decodeFloats(m.bytes) }
    } else {
        _ = try? NPY.decodeFloats(bytes)
    }
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
