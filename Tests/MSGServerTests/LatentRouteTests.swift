import Foundation
import LoopbackHTTP
import Hummingbird
import HummingbirdTesting
import MSGCLI
import MSGGen
import MSGImage
import MSGRender
import MSGServer
import Testing

/// Runs `msg-gen walk ARGS --out FILE.ext` in-process and returns the file.
func cliWalk(_ args: [String], ext: String) throws -> [UInt8] {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("msg-gen-walk-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("out.\(ext)").path
    var command = try MSGGenCommand.parseAsRoot(["walk"] + args + ["--out", out, "--quiet"])
    try command.run()
    return Array(try Data(contentsOf: URL(fileURLWithPath: out)))
}

@Suite struct LatentRouteTests {
    @Test func walkIsTheCLIsBytes() async throws {
        let webp = try cliWalk(["--weights", styleganPath, "--seeds", "1,2", "--frames", "3", "--scales", "all", "--space", "w", "--psi", "0.5"], ext: "webp")
        let gif = try cliWalk(["--weights", proganPath, "--seeds", "4,5,6", "--frames", "2", "--loop"], ext: "gif")
        try await withApp { client, _ in
            try await client.execute(uri: "/v1/walk?model=stylegan-64-fused&seeds=1,2&frames=3&scale=all&space=w&psi=0.5", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "image/webp")
                #expect(r.bytes == webp)
                let etag = r.headers[.eTag]!
                try await client.execute(uri: "/v1/walk?model=stylegan-64-fused&seeds=1,2&frames=3&scale=all&space=w&psi=0.5",
                                         method: .get, headers: [.ifNoneMatch: etag]) { r2 in #expect(r2.status == .notModified) }
            }
            try await client.execute(uri: "/v1/walk?seeds=4,5,6&frames=2&loop=1&format=gif", method: .get) { r in
                #expect(r.status == .ok && r.headers[.contentType] == "image/gif")
                #expect(r.bytes == gif)
                #expect((try? GIFAnimationEncoder.decode(r.bytes))?.frames.count == 6)
            }
        }
    }

    @Test(arguments: [
        ("seeds=1", "seeds"), ("seeds=1,2&frames=0", "frames"), ("seeds=1,2&frames=241", "frames"),
        ("seeds=1-17", "seeds"), ("seeds=1,2&format=mp4", "format"), ("seeds=1,2&space=w", "space"),
        ("seeds=1,2&loop=yes", "loop"), ("seeds=1,2&interp=cubic", "interp"), ("seeds=1,2&psi=0.5", "psi"),
        ("seeds=0-15&frames=200&loop=1", "frames"), ("seeds=1,2&scale=64", "scale"), ("seeds=1,2&bogus=1", "bogus"),
    ])
    func badWalksName(_ query: String, _ parameter: String) async throws {
        try await withApp { client, _ in
            try await client.execute(uri: "/v1/walk?\(query)", method: .get) { r in
                #expect(r.status == .badRequest)
                #expect(r.errorMessage?.hasPrefix("\(parameter):") == true, "\(r.errorMessage ?? "")")
            }
        }
    }

    @Test func pageHasTheWalkView() async throws {
        try await withApp { client, _ in
            try await client.execute(uri: "/", method: .get) { r in
                #expect(r.text.contains("\"/v1/walk?\"") && r.text.contains("id=\"walkbtn\""))
            }
        }
    }

    @Test func postedLatentsRenderAsSeeds() async throws {
        let z = Latents.gaussian(seed: 42, count: stylegan.latentSize)
        let body = NPY.encode(float64: z, shape: [z.count])
        let two = NPY.encode(float64: z + Latents.gaussian(seed: 7, count: stylegan.latentSize), shape: [2, z.count])
        try await withApp { client, _ in
            var seedPNG: [UInt8] = []
            try await client.execute(uri: "/v1/image?model=stylegan-64-fused&seed=42&psi=0.7", method: .get) { r in seedPNG = r.bytes }
            #expect(seedPNG.count > 100)
            try await client.execute(uri: "/v1/image?model=stylegan-64-fused&psi=0.7", method: .post,
                                     headers: [.contentType: "application/x-npy"], body: ByteBuffer(bytes: body)) { r in
                #expect(r.status == .ok && r.headers[.contentType] == "image/png")
                #expect((try? PNG.decode(r.bytes))?.image == (try? PNG.decode(seedPNG))?.image)
            }
            try await client.execute(uri: "/v1/grid?model=stylegan-64-fused&scale=all", method: .post,
                                     headers: [.contentType: "application/x-npy"], body: ByteBuffer(bytes: two)) { r in
                #expect(r.status == .ok)
            }
            // w: the seed's truncated dlatents, posted with kind=w, render the seed's image (no truncation unless psi).
            let w = try Renderer(model: stylegan, batch: 1, threads: 1).dlatents(seed: 42, options: RenderOptions(psi: 0.7))
            let wBody = NPY.encode(float64: w.map(Double.init), shape: [1, stylegan.styleLayerCount!, w.count / stylegan.styleLayerCount!])
            try await client.execute(uri: "/v1/image?model=stylegan-64-fused&kind=w", method: .post,
                                     headers: [.contentType: "application/x-npy"], body: ByteBuffer(bytes: wBody)) { r in
                #expect(r.status == .ok)
                #expect((try? PNG.decode(r.bytes))?.image == (try? PNG.decode(seedPNG))?.image)
            }
        }
    }

    @Test func badBodiesAre400sNamingTheBody() async throws {
        let z = NPY.encode(float64: Array(repeating: 0.5, count: stylegan.latentSize), shape: [stylegan.latentSize])
        let cases: [(String, HTTPFields, [UInt8], String)] = [
            ("/v1/image?model=stylegan-64-fused", [.contentType: "image/png"], z, "body"),
            ("/v1/image?model=stylegan-64-fused", [.contentType: "application/x-npy"], Array(z.dropLast()), "body"),
            ("/v1/image?model=stylegan-64-fused", [.contentType: "application/x-npy"], [UInt8](repeating: 0, count: (1 << 20) + 1), "body"),
            ("/v1/image?model=stylegan-64-fused", [.contentType: "application/x-npy"], NPY.encode(float64: [1, 2], shape: [2]), "body"),
            ("/v1/image?model=stylegan-64-fused&kind=q", [.contentType: "application/x-npy"], z, "kind"),
            ("/v1/image?model=stylegan-64-fused", [.contentType: "application/x-npy"],
             NPY.encode(float64: Array(repeating: 0.5, count: 2 * stylegan.latentSize), shape: [2, stylegan.latentSize]), "body"),
            ("/v1/image?kind=w", [.contentType: "application/x-npy"], z, "body"),  // progan has no w
        ]
        try await withApp { client, _ in
            for (uri, headers, body, parameter) in cases {
                try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(bytes: body)) { r in
                    #expect(r.status == .badRequest, "\(uri)")
                    #expect(r.errorMessage?.hasPrefix("\(parameter):") == true, "\(uri): \(r.errorMessage ?? "")")
                }
            }
        }
    }
}
