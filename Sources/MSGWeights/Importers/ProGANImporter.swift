// MARK: - ProGANImporter

/// BMSG-GAN's `Generator.state_dict()` (GAN_GEN_*.pth, GAN_GEN_SHADOW_*.pth)
/// to FORMAT.md's `msg-progan` tensors: the keys are already FORMAT.md's
/// names once DataParallel's `module.` prefix is removed; depth and latent
/// size come from the shapes. Every key must be one the config implies
/// (`TensorSetCheck` refuses leftovers), so a discriminator, an optimizer or
/// any other dict is an error that says what it is.
enum ProGANImporter {
    static let expected = "MSG-ProGAN"

    /// Keys that identify things a user may point at by mistake.
    private static let lookalikes: [(marker: String, what: String)] = [
        ("rgb_to_features.", "a BMSG-GAN Discriminator state_dict (GAN_DIS_*.pth)"),
        ("final_block.", "a BMSG-GAN Discriminator state_dict (GAN_DIS_*.pth)"),
        ("param_groups", "an optimizer state_dict (GAN_GEN_OPTIM_* / GAN_DIS_OPTIM_*.pth)"),
    ]

    struct Result {
        let entries: [SafeTensorsWriter.PendingEntry]
        let config: ProGANConfig
        let notes: [String]
    }

    static func convert(_ checkpoint: TorchCheckpoint, in data: UnsafeRawBufferPointer, source: String) throws(WeightsError) -> Result {
        guard case .dict(let dict) = checkpoint.root else {
            throw .notAGenerator(file: source, expected: expected, found: "\(checkpoint.root.kindName) at the top level, expected a state_dict")
        }
        let keys = dict.entries.map { $0.key.stringValue ?? "<\($0.key.kindName)>" }
        for (marker, what) in lookalikes where keys.contains(where: { $0.contains(marker) }) {
            throw .notAGenerator(file: source, expected: expected, found: "\(what): keys \(preview(keys))")
        }

        // DataParallel prefixes every key or none.
        let prefixed = keys.filter { $0.hasPrefix("module.") }.count
        guard prefixed == 0 || prefixed == keys.count else {
            throw .invalidCheckpoint(file: source, key: nil, reason: "\(prefixed) of \(keys.count) keys carry DataParallel's 'module.' prefix (all or none should)")
        }
        var notes: [String] = []
        if prefixed > 0 { notes.append("'module.' prefix removed") }

        var tensors: [(name: String, tensor: UpstreamTensor)] = []
        for (key, entry) in zip(keys, dict.entries) {
            let name = prefixed > 0 ? String(key.dropFirst("module.".count)) : key
            guard let t = try checkpoint.tensor(entry.value, name: key, in: data) else {
                throw .notAGenerator(file: source, expected: expected,
                                     found: "'\(key)' holds \(entry.value.kindName), not a tensor (keys \(preview(keys)))")
            }
            tensors.append((name, t))
        }

        // Shapes give the config: layers.0.conv_1.weight is [L, L, 4, 4]; one rgb converter per block.
        guard let first = tensors.first(where: { $0.name == "layers.0.conv_1.weight" })?.tensor,
              first.shape.count == 4, first.shape[0] == first.shape[1], first.shape[2] == 4, first.shape[3] == 4 else {
            throw .notAGenerator(file: source, expected: expected,
                                 found: "no 'layers.0.conv_1.weight' of shape [L, L, 4, 4] (keys \(preview(keys)))")
        }
        let converters = tensors.compactMap { t -> Int? in
            guard t.name.hasPrefix("rgb_converters."), t.name.hasSuffix(".weight") else { return nil }
            return Int(t.name.dropFirst("rgb_converters.".count).dropLast(".weight".count))
        }
        guard let top = converters.max(), top < ProGANConfig.maxDepth else {
            throw .notAGenerator(file: source, expected: expected, found: "no usable 'rgb_converters.{i}.weight' (keys \(preview(keys)))")
        }
        let config = ProGANConfig(depth: top + 1, latentSize: first.shape[0])

        var entries: [SafeTensorsWriter.PendingEntry] = []
        var converted = 0
        for (name, t) in tensors.sorted(by: { $0.name < $1.name }) {
            guard let e = t.entry(name: name) else {
                throw .invalidCheckpoint(file: source, key: name, reason: "tensor of \(t.element.name) (weights must be float32, float16, bfloat16 or float64)")
            }
            if t.element == .f64 { converted += 1 }
            entries.append(e)
        }
        if converted > 0 { notes.append("\(converted) float64 tensors rounded to F32") }
        return Result(entries: entries, config: config, notes: notes)
    }

    static func preview(_ keys: [String]) -> String {
        let shown = keys.prefix(4).joined(separator: ", ")
        return keys.count > 4 ? "\(shown), ... (\(keys.count) in all)" : shown.isEmpty ? "(none)" : shown
    }
}
