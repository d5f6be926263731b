// MARK: - TensorSetCheck

/// Compares a file's tensors with the set its config implies: first a
/// structural comparison that explains the usual mistake (a config for
/// another depth / resolution), then missing tensors and shapes in the
/// config's order, then leftover tensors in file order. Like stylegan2-ada's
/// `legacy.py`, any unknown name is an error, except FORMAT.md's ignored ones.
enum TensorSetCheck {
    static func run(file: SafeTensorsFile, config: ModelConfig) throws(WeightsError) {
        let source = file.source
        try checkStructure(file: file, config: config)

        let expected = config.expectedTensors()
        for (name, shape) in expected {
            guard let info = file.tensors[name] else {
                throw .missingTensor(file: source, tensor: name, expectedShape: shape)
            }
            guard info.shape == shape else {
                throw .wrongShape(file: source, tensor: name, shape: info.shape, expected: shape)
            }
        }
        let expectedNames = Set(expected.map(\.name))
        let ignored = config.family.ignoredTensorNames
        for name in file.names where !expectedNames.contains(name) && !ignored.contains(name) {
            throw .unexpectedTensor(file: source, tensor: name)
        }
    }

    // MARK: - Structure

    private static func checkStructure(file: SafeTensorsFile, config: ModelConfig) throws(WeightsError) {
        let names = file.names
        switch config {
        case .proGAN(let c):
            // layers.{i}.* and rgb_converters.{i}.*: i runs over 0..<depth.
            let blocks = names.compactMap { index(in: $0, after: "layers.") ?? index(in: $0, after: "rgb_converters.") }
            if let top = blocks.max(), top + 1 != c.depth {
                throw .configMismatch(file: file.source, reason: "config says depth \(c.depth) but file has tensors for depth \(top + 1)")
            }
        case .styleGAN(let c):
            let dense = names.compactMap { index(in: $0, after: "G_mapping/Dense") }
            if let top = dense.max(), top + 1 != c.mappingLayers {
                throw .configMismatch(file: file.source, reason: "config says mapping_layers \(c.mappingLayers) but file has \(top + 1) mapping layers")
            }
            let sizes = names.compactMap(blockResolution)
            if let top = sizes.max(), top != c.resolution {
                throw .configMismatch(file: file.source, reason: "config says resolution \(c.resolution) but file has tensors for resolution \(top)")
            }
        }
    }

    /// The decimal number right after `prefix` and before a "." or "/", if `name` has that form.
    private static func index(in name: String, after prefix: String) -> Int? {
        guard name.hasPrefix(prefix) else { return nil }
        let digits = name.dropFirst(prefix.count).prefix { $0.isASCII && $0.isNumber }
        let rest = name.dropFirst(prefix.count + digits.count)
        guard !digits.isEmpty, digits.count <= 9, rest.hasPrefix(".") || rest.hasPrefix("/") else { return nil }
        return Int(digits)
    }

    /// r for names "G_synthesis/{r}x{r}/...".
    private static func blockResolution(_ name: String) -> Int? {
        let parts = name.split(separator: "/")
        guard parts.count >= 3, parts[0] == "G_synthesis" else { return nil }
        let sides = parts[1].split(separator: "x", omittingEmptySubsequences: false)
        guard sides.count == 2, sides[0] == sides[1], sides[0].count <= 9, let r = Int(sides[0]) else { return nil }
        return r
    }
}
