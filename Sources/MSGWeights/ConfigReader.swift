// MARK: - ConfigReader

/// Typed, checked access to the `msg-gen.config` JSON object: each getter
/// names the key at fault, and integers must be spelled as exact integers.
struct ConfigReader {
    let source: String
    private(set) var fields: [String: JSONValue] = [:]

    init(json text: String, source: String) throws(WeightsError) {
        self.source = source
        let value: JSONValue
        do {
            value = try StrictJSONParser.parse(text)
        } catch {
            throw .invalidConfigJSON(file: source, reason: error.description)
        }
        guard case let .object(members) = value else {
            throw .invalidConfigJSON(file: source, reason: "it is \(value.kindName)")
        }
        if let key = JSONValue.firstDuplicateKey(members) {
            throw .invalidConfigJSON(file: source, reason: "key '\(key)' appears more than once")
        }
        for member in members { fields[member.key] = member.value }
    }

    // MARK: - Getters (nil: key absent)

    private func typeError(_ key: String, _ expected: String, _ value: JSONValue) -> WeightsError {
        .configKeyType(file: source, key: key, expected: expected, found: value.kindName)
    }

    func int(_ key: String) throws(WeightsError) -> Int? {
        guard let value = fields[key] else { return nil }
        guard case let .number(text) = value, let n = JSONValue.exactInt(text) else {
            throw typeError(key, "an integer", value)
        }
        return n
    }

    func double(_ key: String) throws(WeightsError) -> Double? {
        guard let value = fields[key] else { return nil }
        guard case let .number(text) = value, let d = Double(text) else {
            throw typeError(key, "a number", value)
        }
        guard d.isFinite else {
            throw .invalidConfigValue(file: source, key: key, reason: "\(text) is not a finite number")
        }
        return d
    }

    func bool(_ key: String) throws(WeightsError) -> Bool? {
        guard let value = fields[key] else { return nil }
        guard case let .bool(b) = value else { throw typeError(key, "true or false", value) }
        return b
    }

    func string(_ key: String) throws(WeightsError) -> String? {
        guard let value = fields[key] else { return nil }
        guard case let .string(s) = value else { throw typeError(key, "a string", value) }
        return s
    }

    /// `.none`: absent (take the default); `.some(nil)`: JSON null.
    func nullableDouble(_ key: String) throws(WeightsError) -> Double?? {
        if case .null? = fields[key] { return .some(nil) }
        guard let d = try double(key) else { return .none }
        return .some(d)
    }

    func nullableInt(_ key: String) throws(WeightsError) -> Int?? {
        if case .null? = fields[key] { return .some(nil) }
        guard let n = try int(key) else { return .none }
        return .some(n)
    }

    /// An array of finite numbers; JSON null gives [] (upstream's None).
    func doubles(_ key: String) throws(WeightsError) -> [Double]? {
        guard let value = fields[key] else { return nil }
        if case .null = value { return [] }
        guard case let .array(elements) = value else { throw typeError(key, "an array of numbers", value) }
        var result: [Double] = []
        for element in elements {
            guard case let .number(text) = element, let d = Double(text), d.isFinite else {
                throw typeError(key, "an array of finite numbers", element)
            }
            result.append(d)
        }
        return result
    }

    func required<T>(_ key: String, _ value: T?) throws(WeightsError) -> T {
        guard let value else { throw .missingConfigKey(file: source, key: key) }
        return value
    }

    // MARK: - Checks

    func check(_ condition: Bool, _ key: String, _ reason: @autoclosure () -> String) throws(WeightsError) {
        if !condition { throw .invalidConfigValue(file: source, key: key, reason: reason()) }
    }
}
