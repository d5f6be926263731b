// MARK: - PickleValue

/// What a pickle describes, never what it would build: Python objects are
/// represented, not constructed, so nothing in a file is ever executed
/// (ggml's approach). Byte strings are ranges of the input, never copied.
///
/// Containers are reference types because the pickle memo aliases them and
/// later opcodes (APPENDS, SETITEMS, BUILD) fill them in place. A container
/// is *frozen* the moment it becomes another value's child, and a frozen
/// container can no longer change: so recorded nesting depths stay exact and
/// no cycle can ever form (see `PickleMachine.adopt`).
public enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// A LONG1/LONG4 integer that does not fit in `Int`: its little-endian
    /// two's-complement bytes, as a range of the input.
    case bigInt(Range<Int>)
    case float(Double)
    case string(String)
    /// `bytes` / `bytearray` / py2 `str`: a range of the input.
    case bytes(Range<Int>)
    case tuple(PickleTuple)
    case list(PickleList)
    case dict(PickleDict)
    /// An allow-listed global (a class or function), only named.
    case global(PickleGlobal)
    /// A call of an allow-listed global (REDUCE / NEWOBJ), described.
    case object(PickleObject)
    /// A persistent id (torch storages): resolved by the container reader.
    case persistent(PickleTuple)

    /// Nesting depth: 0 for scalars.
    public var depth: Int {
        switch self {
        case .tuple(let t), .persistent(let t): return t.depth
        case .list(let l): return l.depth
        case .dict(let d): return d.depth
        case .object(let o): return o.depth
        default: return 0
        }
    }

    /// A short description for error messages ("dict", "tuple of 3", ...).
    public var kindName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string(let s): return "str '\(s.prefix(40))'"
        case .bytes(let r): return "bytes of \(r.count)"
        case .tuple(let t): return "tuple of \(t.items.count)"
        case .list(let l): return "list of \(l.items.count)"
        case .dict(let d): return (d.typeName ?? "dict") + " of \(d.entries.count)"
        case .global(let g): return "global \(g.qualifiedName)"
        case .object(let o): return "\(o.callable.qualifiedName)(...)"
        case .persistent: return "persistent id"
        }
    }

    // MARK: Accessors

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }
    public var tupleItems: [PickleValue]? {
        switch self {
        case .tuple(let t): return t.items
        case .list(let l): return l.items
        default: return nil
        }
    }
}

// MARK: - Containers

public final class PickleTuple {
    public let items: [PickleValue]
    public let depth: Int
    init(_ items: [PickleValue], depth: Int) {
        self.items = items
        self.depth = depth
    }
}

public final class PickleList {
    public internal(set) var items: [PickleValue] = []
    var depth = 1
    var frozen = false
}

/// A dict, or a dict subclass the allow-list marks as such (OrderedDict,
/// EasyDict). Keys keep insertion order; a repeated key replaces the value.
public final class PickleDict {
    public internal(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    /// The allow-listed class for dict subclasses, nil for a plain dict.
    public let typeName: String?
    /// Instance attributes set by BUILD (torch's `_metadata`): kept, unused.
    public internal(set) var attributes: PickleValue?
    var depth = 1
    var frozen = false
    private var stringIndex: [String: Int] = [:]
    private var intIndex: [Int: Int] = [:]

    init(typeName: String?) {
        self.typeName = typeName
    }

    func set(_ key: PickleValue, _ value: PickleValue) {
        switch key {
        case .string(let s):
            if let i = stringIndex[s] { entries[i].value = value; return }
            stringIndex[s] = entries.count
        case .int(let n):
            if let i = intIndex[n] { entries[i].value = value; return }
            intIndex[n] = entries.count
        default: break
        }
        entries.append((key, value))
    }

    /// The value under a string key.
    public subscript(key: String) -> PickleValue? {
        stringIndex[key].map { entries[$0].value }
    }

    /// String keys in order (other keys omitted).
    public var stringKeys: [String] { entries.compactMap { $0.key.stringValue } }
}

/// `callable(*args)` for an allow-listed callable, plus the state BUILD gave it.
public final class PickleObject {
    public let callable: PickleGlobal
    public let args: [PickleValue]
    public internal(set) var state: PickleValue?
    var depth: Int
    var frozen = false

    init(callable: PickleGlobal, args: [PickleValue], depth: Int) {
        self.callable = callable
        self.args = args
        self.depth = depth
    }
}

/// `module.name`, as the pickle spells it.
public struct PickleGlobal: Hashable, Sendable {
    public let module: String
    public let name: String
    public var qualifiedName: String { "\(module).\(name)" }
}
