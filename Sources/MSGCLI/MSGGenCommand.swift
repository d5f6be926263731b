import ArgumentParser

/// `msg-gen`: render pictures from MSG-GAN generators. Rendering is the default
/// subcommand, so `msg-gen --seed 42 --grid 16` needs no verb. Async so that
/// `serve` can run; the other subcommands stay synchronous.
public struct MSGGenCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "msg-gen",
        abstract: "Render images at every scale from trained MSG-GAN generators (MSG-ProGAN, MSG-StyleGAN).",
        subcommands: [RenderCommand.self, MixCommand.self, WalkCommand.self, InspectCommand.self, BenchCommand.self, ConvertCommand.self, ServeCommand.self],
        defaultSubcommand: RenderCommand.self
    )

    public init() {}
}
