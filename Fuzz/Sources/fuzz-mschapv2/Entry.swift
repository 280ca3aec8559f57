import FuzzHarnesses

@main
enum Entry {
    static func main() {
        FuzzDriver.main(MSCHAPv2Harness.run)
    }
}
