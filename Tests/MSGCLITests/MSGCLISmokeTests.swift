import Testing
@testable import MSGCLI

@Test func MSGCLIModuleLoads() { #expect(Bool(true)) }
