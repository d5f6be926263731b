import ArgumentParser

/// `msg-gen`: render pictures from MSG-GAN generators. Rendering is the default
/// subcommand, so `msg-gen --seed 42 --grid 16` needs no verb.
public struct MSGGenCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "msg-gen",
        abstract: "Render images at every scale from trained MSG-GAN generators (MSG-ProGAN, MSG-StyleGAN).",
        subcommands: [RenderCommand.self, MixCommand.self, InspectCommand.self, BenchCommand.self, ConvertCommand.self],
        defaultSubcommand: RenderCommand.self
    )

    public init() {}
}
