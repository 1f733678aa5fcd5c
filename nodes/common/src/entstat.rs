//! `entstat`'s layout, as AIX and the VIOS print it: the statistics every
//! Ethernet device has, and a virtual (l-lan) adapter's own section. The
//! VIOS's `entstat` and a client partition's use it alike.

use crate::model::VirtualEthAdapter;

const SEP: &str = "-------------------------------------------------------------\n";

pub fn colon_mac(mac: &str) -> String {
    let m = mac.to_lowercase();
    m.as_bytes()
        .chunks(2)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(":")
}

pub fn elapsed(up: u64) -> String {
    format!(
        "Elapsed Time: {} days {} hours {} minutes {} seconds\n",
        up / 86400,
        up % 86400 / 3600,
        up % 3600 / 60,
        up % 60
    )
}

pub fn two(l: impl AsRef<str>, r: impl AsRef<str>) -> String {
    format!("{:<46}{}\n", l.as_ref(), r.as_ref())
}

/// The statistics every Ethernet device has: transmit and receive
/// counters (`tx`, `rx` packets) and the general ones.
pub fn common(
    name: &str,
    ty: &str,
    mac: &str,
    up: u64,
    (tx, rx): (u64, u64),
    rate: u64,
    flags: &str,
) -> String {
    let mut o = String::new();
    o.push_str(SEP);
    o.push_str(&format!("ETHERNET STATISTICS ({name}) :\n"));
    o.push_str(&format!("Device Type: {ty}\n"));
    o.push_str(&format!("Hardware Address: {}\n", colon_mac(mac)));
    o.push_str(&elapsed(up));
    o.push('\n');
    o.push_str(&two("Transmit Statistics:", "Receive Statistics:"));
    o.push_str(&two("--------------------", "-------------------"));
    o.push_str(&two(format!("Packets: {tx}"), format!("Packets: {rx}")));
    o.push_str(&two(
        format!("Bytes: {}", tx * 812),
        format!("Bytes: {}", rx * 734),
    ));
    o.push_str(&two("Interrupts: 0", format!("Interrupts: {}", rx / 2)));
    o.push_str(&two("Transmit Errors: 0", "Receive Errors: 0"));
    o.push_str(&two("Packets Dropped: 0", "Packets Dropped: 0"));
    o.push_str(&two("", "Bad Packets: 0"));
    o.push_str("Max Packets on S/W Transmit Queue: 0\n");
    o.push_str("S/W Transmit Queue Overflow: 0\n");
    o.push_str("Current S/W+H/W Transmit Queue Length: 0\n\n");
    o.push_str(&two(
        format!("Broadcast Packets: {}", tx / 50),
        format!("Broadcast Packets: {}", rx / 20),
    ));
    o.push_str(&two(
        format!("Multicast Packets: {}", tx / 100),
        format!("Multicast Packets: {}", rx / 40),
    ));
    for (l, r) in [
        ("No Carrier Sense: 0", "CRC Errors: 0"),
        ("DMA Underrun: 0", "DMA Overrun: 0"),
        ("Lost CTS Errors: 0", "Alignment Errors: 0"),
        ("Max Collision Errors: 0", "No Resource Errors: 0"),
        ("Late Collision Errors: 0", "Receive Collision Errors: 0"),
        ("Deferred: 0", "Packet Too Short Errors: 0"),
        ("SQE Test: 0", "Packet Too Long Errors: 0"),
        ("Timeout Errors: 0", "Packets Discarded by Adapter: 0"),
        ("Single Collision Count: 0", "Receiver Start Count: 0"),
    ] {
        o.push_str(&two(l, r));
    }
    o.push_str("Multiple Collision Count: 0\n");
    o.push_str("Current HW Transmit Queue Length: 0\n\n");
    o.push_str("General Statistics:\n-------------------\n");
    o.push_str("No mbuf Errors: 0\nAdapter Reset Count: 0\n");
    o.push_str(&format!("Adapter Data Rate: {rate}\n"));
    o.push_str(&format!("Driver Flags: {flags}\n\n"));
    o
}

/// One adapter's statistics; `trunk_active` tells a virtual trunk adapter
/// whether its SEA bridges through it now.
/// The l-lan section of a virtual Ethernet adapter (`entstat -d`).
pub fn virt_specific(a: &VirtualEthAdapter, active: bool) -> String {
    let mut o = String::from("Virtual I/O Ethernet Adapter (l-lan) Specific Statistics:\n");
    o.push_str("---------------------------------------------------------\n");
    o.push_str("RQ Length: 4481\n");
    if a.trunk_priority > 0 {
        o.push_str("Trunk Adapter: True\n");
        o.push_str(&format!(
            "  Priority: {}  Active: {}\n",
            a.trunk_priority,
            if active { "True" } else { "False" }
        ));
    } else {
        o.push_str("Trunk Adapter: False\n");
    }
    o.push_str("Filter MCast Mode: False\nFilters: 255\n  Enabled: 1  Queued: 0  Overflow: 0\n");
    o.push_str("LAN State: Operational\n\n");
    o.push_str("Hypervisor Send Failures: 0\n  Receiver Failures: 0\n  Send Errors: 0\n\n");
    o.push_str("Hypervisor Receive Failures: 0\n\n");
    o.push_str("Invalid VLAN ID Packets: 0\n\n");
    o.push_str("ILLAN Attributes: 0000000000003103 [0000000000003103]\n\n");
    o.push_str(&format!("Port VLAN ID: {:>5}\n", a.port_vlan_id));
    let tags: String = a.addl_vlan_ids.iter().map(|v| format!("{v:>6}")).collect();
    o.push_str(&format!("VLAN Tag IDs:{tags}\n\n"));
    o.push_str(&format!(
        "Switch ID: {}\n\n",
        if a.vswitch.is_empty() {
            "ETHERNET0"
        } else {
            &a.vswitch
        }
    ));
    o.push_str("Hypervisor Information\n  Virtual Memory\n    Total (KB)                 79\n  I/O Memory\n    VRM Minimum (KB)          100\n    VRM Desired (KB)          100\n    DMA Max Min (KB)          128\n\n");
    o.push_str("Transmit Information\n  Transmit Buffers\n    Buffer Size             65536\n    Buffers                    32\n    History\n      No Buffers                0\n  Virtual Memory\n    Total (KB)               2048\n  I/O Memory\n    VRM Minimum (KB)         2176\n    VRM Desired (KB)        16384\n    DMA Max Min (KB)        16384\n\n");
    o.push_str("Receive Information\n  Receive Buffers\n");
    o.push_str("    Buffer Type              Tiny   Small  Medium   Large    Huge\n");
    o.push_str("    Min Buffers               512     512     128      24      24\n");
    o.push_str("    Max Buffers              2048    2048     256      64      64\n");
    o.push_str("    Allocated                 512     512     128      24      24\n");
    o.push_str("    Registered                512     512     128      24      24\n");
    o.push_str("    History\n      Max Allocated           512     512     128      24      24\n      Lowest Registered       502     502     128      24      24\n");
    o.push_str("  Virtual Memory\n    Minimum (KB)              256    1024    2048    1536    1536\n    Maximum (KB)             1024    4096    4096    4096    4096\n");
    o.push_str("  I/O Memory\n    VRM Minimum (KB)         4096    4096    2560    1728    1728\n    VRM Desired (KB)        16384   16384    5120    4608    4608\n    DMA Max Min (KB)        16384   16384    8192    8192    8192\n\n");
    o.push_str("I/O Memory Information\n  Total VRM Minimum (KB)    16512\n  Total VRM Desired (KB)    61568\n  Total DMA Max Min (KB)    75904\n\n");
    o
}
