import Foundation
import Testing
import YunqiaoCore

/// Which addresses an image URL may reach (``PublicAddress``).
struct PublicAddressTests {
    private static func v4(_ text: String) -> [UInt8] { text.split(separator: ".").compactMap { UInt8($0) } }

    private static func v6(_ groups: [UInt16]) -> [UInt8] { groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] } }

    @Test(arguments: ["127.0.0.1", "127.255.255.254", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                      "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "198.18.0.1", "192.0.2.7"])
    func privateAndSpecialIPv4AreRefused(_ address: String) {
        #expect(!PublicAddress.isPublic(Self.v4(address)), "\(address)")
    }

    @Test(arguments: ["8.8.8.8", "1.1.1.1", "172.15.255.255", "172.32.0.1", "100.128.0.1", "223.5.5.5", "11.0.0.1"])
    func publicIPv4IsAllowed(_ address: String) {
        #expect(PublicAddress.isPublic(Self.v4(address)), "\(address)")
    }

    @Test func ipv6LoopbackLinkLocalUniqueLocalAndWrappedPrivateIPv4AreRefused() {
        let refused: [[UInt16]] = [
            [0, 0, 0, 0, 0, 0, 0, 1],                       // ::1
            [0, 0, 0, 0, 0, 0, 0, 0],                       // ::
            [0xFE80, 0, 0, 0, 0, 0, 0, 1],                  // link-local
            [0xFD00, 0, 0, 0, 0, 0, 0, 1],                  // unique local
            [0xFF02, 0, 0, 0, 0, 0, 0, 1],                  // multicast
            [0, 0, 0, 0, 0, 0xFFFF, 0x7F00, 0x0001],        // ::ffff:127.0.0.1
            [0, 0, 0, 0, 0, 0xFFFF, 0xA9FE, 0xA9FE],        // ::ffff:169.254.169.254
            [0x0064, 0xFF9B, 0, 0, 0, 0, 0x0A00, 0x0001],   // 64:ff9b::10.0.0.1 (NAT64)
            [0x2002, 0xC0A8, 0x0101, 0, 0, 0, 0, 1],        // 6to4 of 192.168.1.1
            [0x2001, 0x0DB8, 0, 0, 0, 0, 0, 1],             // documentation
        ]
        for groups in refused { #expect(!PublicAddress.isPublic(Self.v6(groups)), "\(groups)") }
    }

    @Test func publicIPv6AndWrappedPublicIPv4AreAllowed() {
        #expect(PublicAddress.isPublic(Self.v6([0x2400, 0x3200, 0, 0, 0, 0, 0, 1])))
        #expect(PublicAddress.isPublic(Self.v6([0, 0, 0, 0, 0, 0xFFFF, 0x0808, 0x0808])))   // ::ffff:8.8.8.8
        #expect(PublicAddress.isPublic(Self.v6([0x2002, 0x0808, 0x0808, 0, 0, 0, 0, 1])))   // 6to4 of 8.8.8.8
    }

    @Test func anythingButFourOrSixteenBytesIsRefused() {
        #expect(!PublicAddress.isPublic([]))
        #expect(!PublicAddress.isPublic([8, 8, 8]))
    }

    @Test func hostsAreComparedLowerCasedWithoutTrailingDotOrBrackets() {
        #expect(PublicAddress.normalizedHost("Files.OA.Example.com.") == "files.oa.example.com")
        #expect(PublicAddress.normalizedHost("[::1]") == "::1")
    }
}
