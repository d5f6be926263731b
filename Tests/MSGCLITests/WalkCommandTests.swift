import ArgumentParser
import Foundation
import Testing
@testable import MSGCLI
import MSGGen
import MSGImage
import MSGRender
import MSGTensor


@Suite struct WalkCommandTests {
    @Test(arguments: ["stylegan-32", "progan-d3-l16"])
    func losslessWebPKeyframesArePNGPixels(_ model: String) throws {
        try inTemporaryDirectory { dir in
            let out = "\(dir)/w.webp"
            try runCLI(["walk", "--weights", fixture(model), "--seeds", "42,1,7", "--frames", "3", "--scales", "all",
                        "--fps", "10", "--quiet", "--out", out])
            let anim = try WebPAnimationEncoder.decode(read(out))
            #expect(anim.frames.count == 7)
            #expect(anim.durationsMs == Array(repeating: 100, count: 7))
            for (j, seed) in [42, 1, 7].enumerated() {
                try runCLI(["--weights", fixture(model), "--seed", "\(seed)", "--scales", "all", "--quiet", "--out", "\(dir)/s.png"])
                #expect(try PNG.decode(read("\(dir)/s.png")).image == anim.frames[j * 3], "keyframe \(j)")
            }
            #expect(anim.frames[1] != anim.frames[0] && anim.frames[1] != anim.frames[3])
        }
    }

    @Test func gifHasEveryFrameAndItsDelay() throws {
        try inTemporaryDirectory { dir in
            let out = "\(dir)/w.gif"
            try runCLI(["walk", "--weights", fixture("stylegan-32"), "--seeds", "42,1", "--frames", "4", "--loop",
                        "--space", "w", "--fps", "25", "--dither", "--quiet", "--out", out])
            let anim = try GIFAnimationEncoder.decode(read(out))
            #expect(anim.frames.count == 8)
            #expect(anim.durationsMs == Array(repeating: 40, count: 8))
            #expect(anim.frames[0].width == 32)
        }
    }

    @Test func npyFramesAreTheRawOutputs() throws {
        try inTemporaryDirectory { dir in
            try runCLI(["walk", "--weights", fixture("stylegan-32"), "--seeds", "42,1", "--frames", "2", "--format", "npy",
                        "--scales", "8", "--quiet", "--out", "\(dir)/f", "--noise", "random", "--noise-seed", "3"])
            let files = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/f").sorted()
            #expect(files == ["frame0-8x8.npy", "frame1-8x8.npy", "frame2-8x8.npy"])
            try runCLI(["--weights", fixture("stylegan-32"), "--seed", "1", "--format", "npy", "--scales", "8", "--quiet",
                        "--out", "\(dir)/s", "--noise", "random", "--noise-seed", "3"])
            #expect(try read("\(dir)/f/frame2-8x8.npy") == read("\(dir)/s/seed1-8x8.npy"))
        }
    }

    @Test func randomWalkHasDurationTimesFpsFrames() throws {
        try inTemporaryDirectory { dir in
            try runCLI(["walk", "--weights", fixture("progan-d3-l16"), "--random-walk", "--seed", "5", "--duration", "0.5",
                        "--fps", "12", "--smoothing", "0.25", "--quiet", "--out", "\(dir)/r.webp"])
            let anim = try WebPAnimationEncoder.decode(read("\(dir)/r.webp"))
            #expect(anim.frames.count == 6)
        }
    }

    @Test(arguments: [
        ["--seeds", "1"],                                        // one keyframe
        ["--seeds", "1,2", "--frames", "0"],
        ["--seeds", "1,2", "--out", "x.mp4"],
        ["--seeds", "1,2", "--out", "x.gif", "--quality", "50"],
        ["--seeds", "1,2", "--out", "x.webp", "--dither"],
        ["--seeds", "1,2", "--out", "x.gif", "--fps", "200"],
        ["--random-walk"],                                       // no --seed
        ["--random-walk", "--seed", "1", "--seeds", "1,2"],
        ["--seeds", "1,2", "--space", "w"],                      // progan has no w
        ["--seeds", "1,2", "--frames", "10000"],                 // over the frame limit
        ["--seeds", "1,2", "--scales", "64"],                    // no 64x64 output
        ["--latents", "/nonexistent.npy"],
    ])
    func badWalksAreClearErrors(_ args: [String]) throws {
        try inTemporaryDirectory { dir in
            let argv = ["walk", "--weights", fixture("progan-d3-l16"), "--quiet"] + args
                + (args.contains("--out") ? [] : ["--out", "\(dir)/x.webp"])
            #expect(throws: (any Error).self) { try runCLI(argv) }
            #expect(!FileManager.default.fileExists(atPath: "\(dir)/x.webp"))
        }
    }
}
