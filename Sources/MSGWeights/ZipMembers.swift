/// Whole-member access to small zip archives, for numpy's `.npz` (a zip of
/// `.npy` members, as `numpy.savez` / `savez_compressed` write): reading goes
/// through the same distrustful `ZipArchive` the checkpoint loader uses.
public enum ZipMembers {
    /// The members' bytes, in archive order, CRC-checked; deflated members
    /// inflated, all of them together to at most `maxTotal` bytes (a 1032:1
    /// ratio per member, `ZipArchive.maxInflatedSize` each).
    /// - Throws: `WeightsError.invalidZip` naming `source` and the problem.
    public static func read(_ bytes: [UInt8], source: String, maxTotal: Int = 64 << 20) throws(WeightsError) -> [(name: String, bytes: [UInt8])] {
        do {
            return try bytes.withUnsafeBytes { data in
                let archive = try ZipArchive(data, source: source)
                var budget = maxTotal
                return try archive.members.map { m in
                    let member: (name: String, bytes: [UInt8])
                    switch try archive.content(m, in: data, limit: max(budget, 0)) {
                    case .range(let r): member = (m.name, Array(data[r]))
                    case .inflated(let b): member = (m.name, b)
                    }
                    budget -= member.bytes.count
                    guard budget >= 0 else {
                        throw WeightsError.invalidZip(file: source, reason: "members inflate to more than \(maxTotal) bytes in all")
                    }
                    return member
                }
            }
        } catch let e as WeightsError {
            throw e
        } catch {
            throw .invalidZip(file: source, reason: "\(error)")
        }
    }

    /// A zip of stored (uncompressed) members, as `numpy.savez` writes: CRC-32
    /// from zlib, a fixed timestamp (1980-01-01) so equal input gives equal bytes.
    /// - Precondition: fewer than 65535 members, each name < 64 KiB and the
    ///   archive under 4 GiB (no zip64; latents files are far smaller).
    public static func write(_ members: [(name: String, bytes: [UInt8])]) -> [UInt8] {
        precondition(members.count < 0xFFFF)
        var out: [UInt8] = []
        var directory: [UInt8] = []
        func u16(_ v: Int, _ to: inout [UInt8]) { to += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func u32(_ v: UInt32, _ to: inout [UInt8]) { u16(Int(v & 0xFFFF), &to); u16(Int(v >> 16), &to) }
        let dosDate = (0 << 9) | (1 << 5) | 1  // 1980-01-01
        for (name, bytes) in members {
            let nameBytes = Array(name.utf8)
            precondition(nameBytes.count < 0xFFFF && out.count + bytes.count < 0xFFFF_0000)
            let crc = bytes.withUnsafeBytes { ZipArchive.crc($0) }
            let offset = UInt32(out.count)
            // Local header.
            u32(0x0403_4B50, &out); u16(20, &out); u16(0, &out); u16(0, &out); u16(0, &out); u16(dosDate, &out)
            u32(crc, &out); u32(UInt32(bytes.count), &out); u32(UInt32(bytes.count), &out)
            u16(nameBytes.count, &out); u16(0, &out); out += nameBytes; out += bytes
            // Central directory entry.
            u32(0x0201_4B50, &directory); u16(20, &directory); u16(20, &directory); u16(0, &directory); u16(0, &directory)
            u16(0, &directory); u16(dosDate, &directory)
            u32(crc, &directory); u32(UInt32(bytes.count), &directory); u32(UInt32(bytes.count), &directory)
            u16(nameBytes.count, &directory); u16(0, &directory); u16(0, &directory); u16(0, &directory); u16(0, &directory)
            u32(0, &directory); u32(offset, &directory); directory += nameBytes
        }
        let directoryOffset = UInt32(out.count)
        out += directory
        u32(0x0605_4B50, &out); u16(0, &out); u16(0, &out); u16(members.count, &out); u16(members.count, &out)
        u32(UInt32(directory.count), &out); u32(directoryOffset, &out); u16(0, &out)
        return out
    }
}
