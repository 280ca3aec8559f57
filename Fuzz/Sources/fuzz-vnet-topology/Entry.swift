import FuzzHarnesses

@main
enum Entry {
    static func main() {
        FuzzDriver.main(VNetTopologyHarness.run)
    }
}
