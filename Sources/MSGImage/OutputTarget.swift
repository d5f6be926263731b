#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - OutputTarget

/// What an output path names before anything is written, and the rule every
/// file msg-gen writes follows (README "Output files"):
///
/// - nothing there: a new file is created;
/// - a regular file: replaced atomically (readers see the old or the new
///   bytes, never a mix), keeping its permission bits;
/// - a symbolic link: written *through*, as `cp` and editors' atomic saves do:
///   the file the link finally resolves to is replaced atomically and the
///   link itself stays. A link whose target does not exist (dangling, as
///   GNU `cp` refuses) or does not resolve (a loop), or that resolves to
///   anything but a regular file, is refused;
/// - a directory, character or block device, FIFO, socket or anything else:
///   refused with an error naming the kind. A rename over such a path would
///   swap in a regular file (as root, `--out /dev/null` would replace the
///   system's `/dev/null`), and writing into it in place could block (FIFO)
///   or is not a file at all.
public struct OutputTarget: Sendable, Equatable {
    /// The kinds of file system object a path can name (`lstat`'s `st_mode`).
    public enum Kind: String, Sendable, Equatable {
        case missing = "nothing"
        case regularFile = "a regular file"
        case directory = "a directory"
        case symbolicLink = "a symbolic link"
        case characterDevice = "a character device"
        case blockDevice = "a block device"
        case fifo = "a FIFO (named pipe)"
        case socket = "a socket"
        case other = "a file of an unknown kind"
    }

    /// The path that will be created or replaced (a link's final target when
    /// `path` was a symbolic link).
    public let path: String
    /// Whether something (a regular file) is there now.
    public let exists: Bool
    /// Permission bits to give the new file: the replaced file's, else 0o644.
    public let mode: mode_t

    /// Applies the rule above to `path`; a refusal names the path and the kind.
    public static func resolve(_ path: String) throws(ImageError) -> OutputTarget {
        guard !path.isEmpty else { throw .outputRefused(path: path, reason: "the path is empty") }
        guard !path.hasSuffix("/") else { throw .outputRefused(path: path, reason: "the path ends in '/', so it names a directory; give a file name") }
        let (kind, mode) = kind(of: path)
        switch kind {
        case .missing:
            return OutputTarget(path: path, exists: false, mode: 0o644)
        case .regularFile:
            return OutputTarget(path: path, exists: true, mode: mode & 0o7777)
        case .symbolicLink:
            guard let resolved = realPath(path) else {
                let why = errno == ENOENT ? "which points to a file that does not exist (a dangling link is not written through)"
                    : errno == ELOOP ? "which does not resolve (a loop of links)"
                    : "which cannot be resolved (\(String(cString: strerror(errno))))"
                throw .outputRefused(path: path, reason: "it is a symbolic link \(why)")
            }
            let (targetKind, targetMode) = Self.kind(of: resolved)
            guard targetKind == .regularFile else {
                throw .outputRefused(path: path, reason: "it is a symbolic link to \(resolved), \(targetKind.rawValue); only regular files are replaced")
            }
            return OutputTarget(path: resolved, exists: true, mode: targetMode & 0o7777)
        case .directory:
            throw .outputRefused(path: path, reason: "it is a directory; give a file name (inside it, if that is what you meant)")
        default:
            throw .outputRefused(path: path, reason: "it is \(kind.rawValue); msg-gen only creates or replaces regular files")
        }
    }

    /// `lstat`'s view of `path` (a link is reported as a link), and its mode.
    public static func kind(of path: String) -> (Kind, mode_t) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return (.missing, 0) }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return (.regularFile, st.st_mode)
        case S_IFDIR: return (.directory, st.st_mode)
        case S_IFLNK: return (.symbolicLink, st.st_mode)
        case S_IFCHR: return (.characterDevice, st.st_mode)
        case S_IFBLK: return (.blockDevice, st.st_mode)
        case S_IFIFO: return (.fifo, st.st_mode)
        case S_IFSOCK: return (.socket, st.st_mode)
        default: return (.other, st.st_mode)
        }
    }

    /// The directory an output directory path (`--out DIR` for .npy files)
    /// names: it must be a directory or a link to one, or not exist yet.
    /// Anything else is refused by kind (the files inside then follow `resolve`).
    public static func checkDirectory(_ path: String) throws(ImageError) -> Bool {
        let (k, _) = kind(of: path)
        switch k {
        case .missing: return false
        case .directory: return true
        case .symbolicLink:
            var st = stat()
            if stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFDIR { return true }
            throw .outputRefused(path: path, reason: "it is a symbolic link to something other than a directory; an output directory is needed here")
        default:
            throw .outputRefused(path: path, reason: "it is \(k.rawValue), not a directory; an output directory is needed here")
        }
    }

    private static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }
}
