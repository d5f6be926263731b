// MARK: - WeightsContainer

/// The container a weights file arrived in, recognised by content, never by extension.
public enum WeightsContainer: String, Sendable, CaseIterable {
    case safetensors
    case torchZip = "torch zip"
    case torchLegacy = "torch legacy"
    case tfPickle = "TF pickle"

    /// Zip magic, the legacy torch magic pickle, any other protocol 2-5
    /// pickle (a TF network pickle), else safetensors (whose parser then
    /// explains what is wrong with the file).
    static func detect(_ data: UnsafeRawBufferPointer) -> WeightsContainer {
        if ZipArchive.isZip(data) { return .torchZip }
        if TorchCheckpoint.isLegacy(data) { return .torchLegacy }
        if data.count >= 2, data[0] == 0x80, (2...5).contains(data[1]) { return .tfPickle }
        return .safetensors
    }
}

// MARK: - ModelImporter

/// Upstream checkpoints (BMSG-GAN .pth, msg-stylegan-tf / StyleGAN .pkl) to
/// the exchange format (FORMAT.md), in memory: the importer writes
/// safetensors bytes, which then load like any converted file, so an
/// imported model and a converted one are the same thing.
public enum ModelImporter {
    public struct Converted: Sendable {
        /// A complete FORMAT.md safetensors file.
        public let bytes: [UInt8]
        public let container: WeightsContainer
        /// The `msg-gen.source` text written.
        public let sourceNote: String
    }

    /// Reads an upstream file and encodes it in the exchange format, tensor
    /// values bit-identical to the source (float64 aside: rounded to F32, noted).
    public static func convert(path: String, name: String? = nil, dataset: String? = nil,
                               license: String? = nil) throws(WeightsError) -> Converted {
        let storage = try ByteStorage.open(path: path)
        return try convert(bytes: try storage.allBytes(), label: path, name: name, dataset: dataset, license: license)
    }

    /// The same for bytes in memory (`label` names them in errors and notes).
    public static func convert(bytes: [UInt8], label path: String, name: String? = nil, dataset: String? = nil,
                               license: String? = nil) throws(WeightsError) -> Converted {
        let base = path.split(separator: "/").last.map(String.init) ?? path
        return try bytes.withWeightsBytes { (data) throws(WeightsError) -> Converted in
            let container = WeightsContainer.detect(data)
            let family: ModelFamily, configJSON: String, entries: [SafeTensorsWriter.PendingEntry], origin: String, notes: [String]
            do throws(WeightsError) {
                switch container {
                case .safetensors:
                    if let what = ContentSniffer.foreignContent(Array(data.prefix(ContentSniffer.prefixLength)), fileSize: data.count) {
                        throw .unrecognizedContent(file: path, what: what)
                    }
                    throw .invalidCheckpoint(file: path, key: nil, reason: "already a safetensors file (nothing to convert)")
                case .torchZip, .torchLegacy:
                    let checkpoint = container == .torchZip
                        ? try TorchCheckpoint(zip: data, source: path) : try TorchCheckpoint(legacy: data, source: path)
                    let r = try ProGANImporter.convert(checkpoint, in: data, source: path)
                    (family, configJSON, entries, origin, notes) = (.msgProGAN, r.config.configJSON, r.entries, "BMSG-GAN", r.notes)
                case .tfPickle:
                    let root = try PickleMachine.load(data, source: path)
                    guard root.end == data.count else {
                        throw .invalidPickle(file: path, offset: root.end, reason: "\(data.count - root.end) bytes after the pickle's STOP")
                    }
                    let r = try StyleGANImporter.convert(root: root.value, in: data, source: path)
                    (family, configJSON, entries, origin, notes) = (.msgStyleGAN, r.configJSON, r.entries, "msg-stylegan-tf/StyleGAN", r.notes)
                }
            } catch .invalidPickle(let file, let offset, let reason) where reason.hasPrefix("truncated") || reason.contains("runs past the end") {
                // The pickle stops inside an opcode or a declared length: the file was cut short.
                throw .unrecognizedContent(file: file, what: "a truncated \(container == .tfPickle ? "pickle (TF .pkl?)" : container.rawValue + " checkpoint"): \(data.count) bytes, the pickle at byte \(offset) needs more (\(reason); copy or download it again)")
            }
            let note = "imported from \(base) (" + ([origin + ", " + container.rawValue] + notes).joined(separator: "; ") + ")"
            var metadata = [
                ModelFile.formatKey: ModelFile.formatVersion,
                ModelFile.familyKey: family.rawValue,
                ModelFile.configKey: configJSON,
                ModelFile.sourceKey: note,
            ]
            if let name { metadata[ModelFile.nameKey] = name }
            if let dataset { metadata[ModelFile.datasetKey] = dataset }
            if let license { metadata[ModelFile.licenseKey] = license }
            // Validate before a byte of tensor data is read or inflated: the
            // config must describe exactly these names and shapes.
            let header = SafeTensorsWriter.header(entries, metadata: metadata)
            let total = entries.reduce(header.count) { $0 + $1.byteCount }
            _ = try ModelFile(file: try SafeTensorsFile(storage: ByteStorage(header: header, count: total), source: path),
                              fallbackName: ModelFile.fileStem(path), readingValues: false)
            let bytes = try SafeTensorsWriter.encode(pending: entries, header: header)
            return Converted(bytes: bytes, container: container, sourceNote: note)
        }
    }
}
