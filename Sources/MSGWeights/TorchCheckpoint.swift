import MSGTensor

// MARK: - TorchCheckpoint

/// A `torch.save` file read without PyTorch (torch/serialization.py):
///
/// - zip (torch >= 1.6): `<prefix>/data.pkl` (the object, protocol 2) whose
///   persistent ids `('storage', StorageType, key, location, numel)` name
///   members `<prefix>/data/<key>`; `<prefix>/byteorder` when present must say "little".
/// - legacy (before 1.6): five things back to back: the pickled magic number,
///   protocol version 1001, a sys-info dict, the object (persistent ids
///   `('storage', StorageType, key, location, numel, view_metadata)`), the
///   sorted list of storage keys; then each storage as an int64 element count
///   followed by its raw bytes.
///
/// Only state_dicts (a dict of name -> tensor) are read: a pickled `nn.Module`
/// names its own classes, which the allow-list refuses.
///
/// Memory is bounded by what the tensors need, whatever the file claims:
/// zip members may not share bytes (`ZipArchive`), the pickle inflates to at
/// most `maxPickleBytes`, every tensor reference counts against its storage
/// (the tensors read from one storage may not need more bytes than it holds,
/// however often one storage or one tensor is referenced), and a deflated
/// storage is inflated once, only when written, only if its tensors need all
/// of it, and dropped as soon as they are written.
struct TorchCheckpoint {
    enum Container: String {
        case zip = "torch zip"
        case legacy = "torch legacy"
    }

    let container: Container
    /// The top-level object (a state_dict in the files we accept).
    let root: PickleValue
    /// key -> (element type, bytes).
    private let storages: [String: (type: String, bytes: ByteSource)]
    let source: String
    private let ledger = StorageLedger()

    /// Largest inflated `data.pkl`: a state_dict's pickle takes about 100
    /// bytes per tensor (a 1024 px generator's: under 10 KB).
    static let maxPickleBytes = 16 << 20

    /// Storage bytes: a range of the file, or a deflated zip member inflated when written.
    enum ByteSource {
        case range(Range<Int>)
        case deflated(ZipArchive.Member)

        var count: Int {
            switch self {
            case .range(let r): return r.count
            case .deflated(let m): return m.uncompressedSize
            }
        }
    }

    /// What the tensors read from each storage, and the inflated storages
    /// waiting for the rest of their tensors to be written.
    private final class StorageLedger {
        /// Bytes of all tensors referencing each storage (every reference counted).
        var demand: [String: Int] = [:]
        /// Bytes still to be written from each inflated storage.
        var pending: [String: Int] = [:]
        var inflated: [String: [UInt8]] = [:]
    }

    /// The legacy magic number 0x1950a86a20f9469cfc6c, as `pickle.dumps(..., protocol=2)` writes it.
    static let legacyMagic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]

    static func isLegacy(_ data: UnsafeRawBufferPointer) -> Bool {
        data.count >= legacyMagic.count && legacyMagic.indices.allSatisfy { data[$0] == legacyMagic[$0] }
    }

    // MARK: - zip

    init(zip data: UnsafeRawBufferPointer, source: String) throws(WeightsError) {
        self.source = source
        container = .zip
        let archive = try ZipArchive(data, source: source)
        let pickles = archive.members.filter { $0.name.hasSuffix("/data.pkl") && $0.name.split(separator: "/").count == 2 }
        if pickles.isEmpty {
            let names = archive.members.map(\.name)
            let npz = !names.isEmpty && names.allSatisfy { $0.hasSuffix(".npy") }
            let shown = names.prefix(4).map { "'\($0)'" }.joined(separator: ", ") + (names.count > 4 ? ", ... (\(names.count) in all)" : "")
            throw .unrecognizedContent(file: source, what: npz
                ? "a NumPy .npz archive (\(names.count) arrays), not a torch checkpoint"
                : "a zip archive without a torch payload (no '<name>/data.pkl'; members: \(names.isEmpty ? "none" : shown))")
        }
        guard pickles.count == 1, let pkl = pickles.first else {
            throw .invalidCheckpoint(file: source, key: nil, reason: "zip archive has \(pickles.count) '<name>/data.pkl' members, a torch.save file has exactly one")
        }
        let prefix = String(pkl.name.dropLast("data.pkl".count))
        if let order = archive[prefix + "byteorder"] {
            let text = try Self.text(archive.content(order, in: data, limit: 64), data)
            guard text == "little" else { throw .invalidCheckpoint(file: source, key: "byteorder", reason: "'\(text.prefix(20))' (only little-endian files are read)") }
        }
        var pids: [(key: String, type: String, numel: Int)] = []
        let root: PickleValue
        switch try archive.content(pkl, in: data, limit: Self.maxPickleBytes) {
        case .range(let r):
            root = try PickleMachine.load(UnsafeRawBufferPointer(rebasing: data[..<r.upperBound]), start: r.lowerBound, source: source).value
        case .inflated(let bytes):
            let result: Result<PickleValue, WeightsError> = bytes.withUnsafeBytes { raw in
                do throws(WeightsError) { return .success(try PickleMachine.load(raw, source: source).value) } catch { return .failure(error) }
            }
            root = try result.get()
        }
        try Self.collectStorages(root, source: source, into: &pids)

        var storages: [String: (type: String, bytes: ByteSource)] = [:]
        for pid in pids where storages[pid.key] == nil {
            guard let member = archive[prefix + "data/" + pid.key] else {
                throw .invalidCheckpoint(file: source, key: pid.key, reason: "storage member '\(prefix)data/\(pid.key)' is missing")
            }
            let content: ByteSource
            switch member.method {
            case 0: content = .range(try archive.storedRange(member, in: data))
            default: content = .deflated(member)
            }
            storages[pid.key] = (pid.type, content)
        }
        self.root = root
        self.storages = storages
    }

    private static func text(_ content: ZipArchive.Content, _ data: UnsafeRawBufferPointer) -> String {
        switch content {
        case .range(let r): return String(decoding: UnsafeRawBufferPointer(rebasing: data[r]), as: UTF8.self)
        case .inflated(let b): return String(decoding: b, as: UTF8.self)
        }
    }

    // MARK: - legacy

    init(legacy data: UnsafeRawBufferPointer, source: String) throws(WeightsError) {
        self.source = source
        container = .legacy
        func fail(_ key: String?, _ reason: String) -> WeightsError { .invalidCheckpoint(file: source, key: key, reason: reason) }
        var offset = Self.legacyMagic.count
        let version = try PickleMachine.load(data, start: offset, source: source)
        guard version.value.intValue == 1001 else { throw fail(nil, "legacy torch protocol version is \(version.value.kindName), expected 1001") }
        let sysInfo = try PickleMachine.load(data, start: version.end, source: source)
        if case .dict(let d) = sysInfo.value, case .bool(false)? = d["little_endian"] {
            throw fail("little_endian", "big-endian checkpoints are not read")
        }
        let object = try PickleMachine.load(data, start: sysInfo.end, source: source)
        let keysPickle = try PickleMachine.load(data, start: object.end, source: source)
        offset = keysPickle.end

        var pids: [(key: String, type: String, numel: Int)] = []
        try Self.collectStorages(object.value, source: source, into: &pids)
        var types: [String: String] = [:]
        for pid in pids { types[pid.key] = pid.type }

        guard let keys = keysPickle.value.tupleItems?.compactMap(\.stringValue),
              keys.count == keysPickle.value.tupleItems?.count else {
            throw fail(nil, "the storage key list is \(keysPickle.value.kindName), expected a list of str")
        }
        var storages: [String: (type: String, bytes: ByteSource)] = [:]
        for key in keys {
            guard let type = types[key], let size = PickleGlobals.torchStorageTypes[type]?.size else {
                throw fail(key, "storage listed but never referenced by a tensor")
            }
            guard storages[key] == nil else { throw fail(key, "storage listed twice") }
            func truncated(_ what: String) -> WeightsError {
                .unrecognizedContent(file: source, what: "a truncated torch legacy checkpoint: \(data.count) bytes, \(what) (copy or download it again)")
            }
            guard data.count - offset >= 8 else { throw truncated("the file ends before storage '\(key)'") }
            var count: UInt64 = 0
            for i in 0..<8 { count |= UInt64(data[offset + i]) << (8 * UInt64(i)) }
            offset += 8
            let (bytes, overflow) = count.multipliedReportingOverflow(by: UInt64(size))
            guard !overflow, bytes <= UInt64(data.count - offset) else {
                throw overflow ? fail(key, "storage of \(count) elements is too large") : truncated("storage '\(key)' of \(count) elements runs past its end")
            }
            storages[key] = (type, .range(offset..<(offset + Int(bytes))))
            offset += Int(bytes)
        }
        for pid in pids where storages[pid.key] == nil {
            throw fail(pid.key, "storage referenced by a tensor but absent from the file")
        }
        root = object.value
        self.storages = storages
    }

    // MARK: - Storages and tensors

    /// Walks the object for persistent ids. Each container is visited once:
    /// the memo lets a pickle share one child many times, and a DAG of shared
    /// tuples has exponentially many paths (depth <= 64 is no bound on those).
    private static func collectStorages(_ root: PickleValue, source: String,
                                        into out: inout [(key: String, type: String, numel: Int)]) throws(WeightsError) {
        var seen = Set<ObjectIdentifier>()
        var pending = [root]
        while let v = pending.popLast() {
            let id: ObjectIdentifier?
            switch v {
            case .tuple(let t), .persistent(let t): id = ObjectIdentifier(t)
            case .list(let l): id = ObjectIdentifier(l)
            case .dict(let d): id = ObjectIdentifier(d)
            case .object(let o): id = ObjectIdentifier(o)
            default: id = nil
            }
            guard let id, seen.insert(id).inserted else { continue }
            switch v {
            case .persistent(let t):
                let pid = try storageID(t, source: source)
                out.append((pid.key, pid.type, pid.numel))
            case .tuple(let t): pending.append(contentsOf: t.items)
            case .list(let l): pending.append(contentsOf: l.items)
            case .dict(let d): pending.append(contentsOf: d.entries.map(\.value))
            case .object(let o):
                pending.append(contentsOf: o.args)
                if let s = o.state { pending.append(s) }
            default: break
            }
        }
    }

    /// ('storage', torch.<Type>Storage, key, location, numel[, view_metadata]).
    private static func storageID(_ t: PickleTuple, source: String) throws(WeightsError) -> (key: String, type: String, numel: Int, view: (key: String, offset: Int, count: Int)?) {
        let items = t.items
        guard items.count == 5 || items.count == 6, items[0].stringValue == "storage",
              case .global(let g) = items[1], g.module == "torch", PickleGlobals.torchStorageTypes[g.name] != nil,
              let key = items[2].stringValue, let numel = items[4].intValue, numel >= 0 else {
            throw .invalidCheckpoint(file: source, key: nil, reason: "persistent id is not a ('storage', torch.<Type>Storage, key, location, numel) tuple")
        }
        var view: (String, Int, Int)?
        if items.count == 6, case .tuple(let v) = items[5] {
            guard v.items.count == 3, let vk = v.items[0].stringValue, let vo = v.items[1].intValue, let vc = v.items[2].intValue,
                  vo >= 0, vc >= 0 else {
                throw .invalidCheckpoint(file: source, key: key, reason: "storage view metadata is not (key, offset, size)")
            }
            view = (vk, vo, vc)
        }
        return (key, g.name, numel, view)
    }

    /// The tensor a `_rebuild_tensor_v2` / `_rebuild_tensor` / `_rebuild_parameter`
    /// call describes, gathered into row-major bytes. `data` is the file the
    /// checkpoint was read from; `name` is for errors.
    func tensor(_ v: PickleValue, name: String, in data: UnsafeRawBufferPointer) throws(WeightsError) -> UpstreamTensor? {
        guard case .object(let o) = v, o.callable.module == "torch._utils" else { return nil }
        func fail(_ reason: String) -> WeightsError { .invalidCheckpoint(file: source, key: name, reason: reason) }
        switch o.callable.name {
        case "_rebuild_parameter":
            guard let inner = o.args.first, let t = try tensor(inner, name: name, in: data) else { throw fail("parameter without a tensor") }
            return t
        case "_rebuild_tensor_v2", "_rebuild_tensor":
            break
        default:
            return nil
        }
        guard o.args.count >= 4, case .persistent(let pidTuple) = o.args[0], let storageOffset = o.args[1].intValue,
              let size = o.args[2].tupleItems?.compactMap(\.intValue), let stride = o.args[3].tupleItems?.compactMap(\.intValue),
              size.count == o.args[2].tupleItems?.count, stride.count == size.count else {
            throw fail("tensor rebuild arguments are not (storage, offset, size, stride, ...)")
        }
        var pid = try Self.storageID(pidTuple, source: source)
        var elementOffset = storageOffset
        if let view = pid.view {
            // Old torch storage views: a window of the root storage `view.key`.
            pid.key = view.key
            let (o2, overflow) = elementOffset.addingReportingOverflow(view.offset)
            guard !overflow else { throw fail("storage view offset overflows") }
            elementOffset = o2
        }
        guard let stored = storages[pid.key], let typeInfo = PickleGlobals.torchStorageTypes[stored.type] else {
            throw fail("storage '\(pid.key)' is missing")
        }
        let element: UpstreamTensor.Element
        switch typeInfo.dtype {
        case "F32": element = .f32
        case "F16": element = .f16
        case "BF16": element = .bf16
        case "F64": element = .f64
        default: element = .other(typeInfo.dtype)
        }
        let itemSize = typeInfo.size
        let storageCount = stored.bytes.count / itemSize
        // Checked: every index offset + sum((size_i - 1) * stride_i) lies in the storage.
        guard elementOffset >= 0, size.allSatisfy({ $0 >= 0 }), stride.allSatisfy({ $0 >= 0 }),
              let count = Tensor.elementCount(size) else { throw fail("tensor size \(size) / stride \(stride) is invalid") }
        // A view with more elements than its storage (stride 0, overlapping) is
        // no weight; refusing it also bounds the copy below by the file's size.
        guard count <= storageCount else {
            throw fail("tensor of size \(size) has more elements than its storage (\(storageCount)): an overlapping view")
        }
        if count > 0 {
            var last = elementOffset
            for (s, st) in zip(size, stride) {
                let (span, o1) = (s - 1).multipliedReportingOverflow(by: st)
                let (sum, o2) = last.addingReportingOverflow(span)
                guard !o1, !o2 else { throw fail("tensor size \(size) / stride \(stride) overflows") }
                last = sum
            }
            guard last < storageCount else {
                throw fail("tensor of size \(size), stride \(stride), offset \(elementOffset) runs past its storage of \(storageCount) elements")
            }
        }
        // Every reference counts: the tensors of one storage may together need
        // at most its bytes (shared storages and repeated entries included).
        let needed = count * itemSize
        let (demand, overflow) = (ledger.demand[pid.key] ?? 0).addingReportingOverflow(needed)
        guard !overflow, demand <= stored.bytes.count else {
            throw fail("the tensors referencing storage '\(pid.key)' need more bytes than its \(stored.bytes.count) (a storage shared or repeated beyond its size)")
        }
        ledger.demand[pid.key] = demand
        let key = pid.key, bytes = stored.bytes, book = self.ledger, file = self.source, start = elementOffset
        return UpstreamTensor(element: element, shape: size, count: count) { (out) throws(WeightsError) in
            switch bytes {
            case .range(let r):
                Self.gather(UnsafeRawBufferPointer(rebasing: data[r]), into: out, itemSize: itemSize, offset: start, size: size, stride: stride, count: count)
            case .deflated(let member):
                // Inflated once, when its first tensor is written, only if its
                // tensors need all of it; dropped after its last tensor.
                if book.inflated[key] == nil {
                    let total = book.demand[key] ?? 0
                    guard member.uncompressedSize <= total else {
                        throw .invalidCheckpoint(file: file, key: name, reason: "deflated storage '\(key)' would inflate to \(member.uncompressedSize) bytes for tensors that need \(total)")
                    }
                    guard case .inflated(let b) = try ZipArchive.content(member, in: data, source: file, limit: total) else {
                        throw .invalidCheckpoint(file: file, key: name, reason: "storage '\(key)' is not deflated")
                    }
                    book.inflated[key] = b
                    book.pending[key] = total
                }
                book.inflated[key]!.withUnsafeBytes { raw in
                    Self.gather(raw, into: out, itemSize: itemSize, offset: start, size: size, stride: stride, count: count)
                }
                book.pending[key]! -= needed
                if book.pending[key]! <= 0 { book.inflated[key] = nil }
            }
        }
    }

    /// Row-major copy of a strided view into `out` (`count * itemSize` bytes).
    private static func gather(_ raw: UnsafeRawBufferPointer, into dst: UnsafeMutableRawBufferPointer, itemSize: Int,
                               offset: Int, size: [Int], stride: [Int], count: Int) {
        guard count > 0 else { return }
        var contiguous = true
        var expected = 1
        for d in (0..<size.count).reversed() where size[d] != 1 {
            if stride[d] != expected { contiguous = false; break }
            expected *= size[d]
        }
        if contiguous {
            dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[(offset * itemSize)..<((offset + count) * itemSize)]))
            return
        }
        var index = [Int](repeating: 0, count: size.count)
        for n in 0..<count {
            var e = offset
            for d in 0..<size.count { e += index[d] * stride[d] }
            dst.baseAddress!.advanced(by: n * itemSize).copyMemory(from: raw.baseAddress!.advanced(by: e * itemSize), byteCount: itemSize)
            var d = size.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < size[d] { break }
                index[d] = 0
                d -= 1
            }
        }
    }
}
