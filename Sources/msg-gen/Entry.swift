import MSGCLI

@main
struct Entry {
    static func main() {
        print("msg-gen")
    }
}
