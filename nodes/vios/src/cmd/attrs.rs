//! `lsdev -dev <d> -attr`'s attribute tables: every device's attributes,
//! values, descriptions and whether they can be changed, as the VIOS lists
//! them.

use super::Site;
use super::inventory::*;

fn attr(
    name: &'static str,
    value: impl Into<String>,
    description: &'static str,
    settable: &'static str,
) -> Attr {
    Attr {
        name,
        value: value.into(),
        description,
        settable,
    }
}

/// A device's attributes, as `lsdev -dev <d> -attr` lists them.
pub fn attrs(inv: &Inventory, site: &Site, d: &Device) -> Vec<Attr> {
    match &d.kind {
        Kind::Disk(k) if k.lun.is_some() => vec![
            attr("PCM", "PCM/friend/fcpother", "Path Control Module", "False"),
            attr(
                "PR_key_value",
                "none",
                "Persistant Reserve Key Value",
                "True+",
            ),
            attr("algorithm", "round_robin", "Algorithm", "True+"),
            attr("clr_q", "no", "Device CLEARS its Queue on error", "True"),
            attr("dist_err_pcnt", "0", "Distributed Error Percentage", "True"),
            attr(
                "dist_tw_width",
                "50",
                "Distributed Error Sample Time",
                "True",
            ),
            attr(
                "hcheck_cmd",
                "test_unit_rdy",
                "Health Check Command",
                "True+",
            ),
            attr("hcheck_interval", "60", "Health Check Interval", "True+"),
            attr("hcheck_mode", "nonactive", "Health Check Mode", "True+"),
            attr("location", "", "Location Label", "True+"),
            attr(
                "lun_id",
                format!("0x{:x}000000000000", k.lun_number),
                "Logical Unit Number ID",
                "False",
            ),
            attr("lun_reset_spt", "yes", "LUN Reset Supported", "True"),
            attr("max_coalesce", "0x40000", "Maximum Coalesce Size", "True"),
            attr("max_retry_delay", "60", "Maximum Quiesce Time", "True"),
            attr("max_transfer", "0x80000", "Maximum TRANSFER Size", "True"),
            attr("node_name", "0x5005076801000000", "FC Node Name", "False"),
            attr(
                "pvid",
                format!("{}0000000000000000", k.pvid),
                "Physical volume identifier",
                "False",
            ),
            attr("q_err", "yes", "Use QERR bit", "True"),
            attr("q_type", "simple", "Queuing TYPE", "True"),
            attr("queue_depth", "20", "Queue DEPTH", "True+"),
            attr("reassign_to", "120", "REASSIGN time out value", "True"),
            attr(
                "reserve_policy",
                k.reserve_policy.clone(),
                "Reserve Policy",
                "True+",
            ),
            attr("rw_timeout", "30", "READ/WRITE time out value", "True"),
            attr("scsi_id", "0x10a00", "SCSI ID", "False"),
            attr("start_timeout", "60", "START unit time out value", "True"),
            attr("timeout_policy", "fail_path", "Timeout Policy", "True+"),
            attr(
                "unique_id",
                k.udid.clone(),
                "Unique device identifier",
                "False",
            ),
            attr(
                "ww_name",
                format!("0x{}", TARGET_WWPN.to_lowercase()),
                "FC World Wide Name",
                "False",
            ),
        ],
        Kind::Disk(k) => vec![
            attr("PCM", "PCM/friend/sissas", "Path Control Module", "False"),
            attr("algorithm", "fail_over", "Algorithm", "True"),
            attr("hcheck_interval", "60", "Health Check Interval", "True+"),
            attr("hcheck_mode", "nonactive", "Health Check Mode", "True+"),
            attr("max_coalesce", "0x40000", "Maximum Coalesce Size", "True"),
            attr("max_transfer", "0x80000", "Maximum TRANSFER Size", "True"),
            attr(
                "pvid",
                format!("{}0000000000000000", k.pvid),
                "Physical volume identifier",
                "False",
            ),
            attr("queue_depth", "16", "Queue DEPTH", "True+"),
            attr(
                "reserve_policy",
                k.reserve_policy.clone(),
                "Reserve Policy",
                "True+",
            ),
            attr(
                "size_in_mb",
                k.size_mb.to_string(),
                "Size in Megabytes",
                "False",
            ),
            attr(
                "unique_id",
                k.udid.clone(),
                "Unique device identifier",
                "False",
            ),
        ],
        Kind::PhysEnt { .. } => vec![
            attr(
                "alt_addr",
                "0x000000000000",
                "Alternate ethernet address",
                "True",
            ),
            attr(
                "chksum_offload",
                "yes",
                "Enable hardware transmit and receive checksum",
                "True",
            ),
            attr(
                "flow_ctrl",
                "yes",
                "Enable Transmit and Receive Flow Control",
                "True",
            ),
            attr("jumbo_frames", "no", "Transmit jumbo frames", "True"),
            attr(
                "large_receive",
                "yes",
                "Enable receive TCP segment aggregation",
                "True",
            ),
            attr(
                "large_send",
                "yes",
                "Enable hardware Transmit TCP segmentation",
                "True",
            ),
            attr("media_speed", "Auto_Negotiation", "Media speed", "True"),
            attr(
                "rx_hog",
                "1000",
                "Max rcv buffers processed per rcv interrupt",
                "True",
            ),
            attr(
                "rxbuf_pool_sz",
                "2048",
                "Rcv buffer pool, make 2X rxdesc_que_sz",
                "True",
            ),
            attr("rxdesc_que_sz", "1024", "Rcv descriptor queue size", "True"),
            attr("tx_que_sz", "8192", "Software transmit queue size", "True"),
            attr("txdesc_que_sz", "512", "TX descriptor queue size", "True"),
            attr(
                "use_alt_addr",
                "no",
                "Enable alternate ethernet address",
                "True",
            ),
        ],
        Kind::VirtEnt { .. } => vec![
            attr(
                "alt_addr",
                "0x000000000000",
                "Alternate Ethernet Address",
                "True",
            ),
            attr("chksum_offload", "yes", "Checksum Offload Enable", "True"),
            attr("copy_buffs", "32", "Transmit Copy Buffers", "True"),
            attr(
                "desired_mapmem",
                "0",
                "I/O memory entitlement reserved for device",
                "False",
            ),
            attr("max_buf_huge", "64", "Maximum Huge Buffers", "True"),
            attr("max_buf_large", "64", "Maximum Large Buffers", "True"),
            attr("max_buf_medium", "256", "Maximum Medium Buffers", "True"),
            attr("max_buf_small", "2048", "Maximum Small Buffers", "True"),
            attr("max_buf_tiny", "2048", "Maximum Tiny Buffers", "True"),
            attr("min_buf_huge", "24", "Minimum Huge Buffers", "True"),
            attr("min_buf_large", "24", "Minimum Large Buffers", "True"),
            attr("min_buf_medium", "128", "Minimum Medium Buffers", "True"),
            attr("min_buf_small", "512", "Minimum Small Buffers", "True"),
            attr("min_buf_tiny", "512", "Minimum Tiny Buffers", "True"),
            attr("poll_uplink", "no", "Enable Uplink Polling", "True"),
            attr("trace_debug", "no", "Trace Debug Enable", "True"),
            attr(
                "use_alt_addr",
                "no",
                "Enable Alternate Ethernet Address",
                "True",
            ),
        ],
        Kind::Lnagg(l) => {
            let or_none = |v: &str| {
                if v.is_empty() {
                    "NONE".to_string()
                } else {
                    v.to_string()
                }
            };
            vec![
                attr(
                    "adapter_names",
                    l.adapters.join(","),
                    "EtherChannel Adapters",
                    "True",
                ),
                attr(
                    "alt_addr",
                    "0x000000000000",
                    "Alternate EtherChannel Address",
                    "True",
                ),
                attr(
                    "backup_adapter",
                    or_none(&l.backup_adapter),
                    "Adapter used when whole channel fails",
                    "True",
                ),
                attr(
                    "hash_mode",
                    "default",
                    "Determines how outgoing adapter is chosen",
                    "True",
                ),
                attr(
                    "mode",
                    l.mode.clone(),
                    "EtherChannel mode of operation",
                    "True",
                ),
                attr("netaddr", "0", "Address to ping", "True"),
                attr(
                    "noloss_failover",
                    "yes",
                    "Enable lossless failover after ping failure",
                    "True",
                ),
                attr(
                    "num_retries",
                    "3",
                    "Times to retry ping before failing",
                    "True",
                ),
                attr(
                    "retry_time",
                    "1",
                    "Wait time (in seconds) between pings",
                    "True",
                ),
                attr(
                    "use_alt_addr",
                    "no",
                    "Enable Alternate EtherChannel Address",
                    "True",
                ),
                attr(
                    "use_jumbo_frame",
                    "no",
                    "Enable Gigabit Ethernet Jumbo Frames",
                    "True",
                ),
            ]
        }
        Kind::Sea(s) => vec![
            attr(
                "accounting",
                "disabled",
                "Enable per-client accounting of network statistics",
                "True",
            ),
            attr(
                "adapter_reset",
                "yes",
                "Reset real adapter on HA takeover",
                "True",
            ),
            attr(
                "ctl_chan",
                inv.ctl_chan(s).map(|c| c.name.clone()).unwrap_or_default(),
                "Control Channel adapter for SEA failover",
                "True",
            ),
            attr(
                "gvrp",
                "no",
                "Enable GARP VLAN Registration Protocol (GVRP)",
                "True",
            ),
            attr(
                "ha_mode",
                s.ha_mode.clone(),
                "High Availability Mode",
                "True",
            ),
            attr("hash_algo", "0", "Hash algorithm for thread queue", "True"),
            attr(
                "jumbo_frames",
                "no",
                "Enable Gigabit Ethernet Jumbo Frames",
                "True",
            ),
            attr(
                "large_receive",
                "no",
                "Enable receive TCP segment aggregation",
                "True",
            ),
            attr(
                "largesend",
                "1",
                "Enable Hardware Transmit TCP Resegmentation",
                "True",
            ),
            attr("netaddr", "0", "Address to ping", "True"),
            attr(
                "nthreads",
                "7",
                "Number of SEA threads in Thread mode",
                "True",
            ),
            attr(
                "pvid",
                s.pvid.to_string(),
                "PVID to use for the SEA device",
                "True",
            ),
            attr(
                "pvid_adapter",
                s.virt_adapters.first().cloned().unwrap_or_default(),
                "Default virtual adapter to use for non-VLAN-tagged packets",
                "True",
            ),
            attr("qos_mode", "disabled", "N/A", "True"),
            attr("queue_size", "8192", "Queue size for a SEA thread", "True"),
            attr(
                "real_adapter",
                s.real_adapter.clone(),
                "Physical adapter associated with the SEA",
                "True",
            ),
            attr(
                "thread",
                "1",
                "Thread mode enabled (1) or disabled (0)",
                "True",
            ),
            attr(
                "virt_adapters",
                s.virt_adapters.join(","),
                "List of virtual adapters associated with the SEA (comma separated)",
                "True",
            ),
        ],
        Kind::Fcs { .. } => vec![
            attr("DIF_enabled", "no", "DIF (T10 protection) enabled", "True"),
            attr("bus_mem_addr", "0xa0108000", "Bus memory address", "False"),
            attr("init_link", "auto", "INIT Link flags", "False"),
            attr("intr_msi_1", "134265", "Bus interrupt level", "False"),
            attr("intr_priority", "3", "Interrupt priority", "False"),
            attr("io_dma", "256", "IO_DMA", "True"),
            attr("lg_term_dma", "0x800000", "Long term DMA", "True"),
            attr("max_xfer_size", "0x100000", "Maximum Transfer Size", "True"),
            attr("msi_type", "msix", "MSI Interrupt type", "False"),
            attr(
                "num_cmd_elems",
                "500",
                "Maximum number of COMMANDS to queue to the adapter",
                "True",
            ),
            attr("num_io_queues", "8", "Desired number of IO queues", "True"),
        ],
        Kind::Proc => vec![
            attr(
                "frequency",
                proc_hz(&site.proc_generation).to_string(),
                "Processor Speed",
                "False",
            ),
            attr("smt_enabled", "true", "Processor SMT enabled", "False"),
            attr(
                "smt_threads",
                smt_threads(&site.proc_generation).to_string(),
                "Processor SMT threads",
                "False",
            ),
            attr("state", "enable", "Processor state", "False"),
            attr(
                "type",
                proc_type(&site.proc_generation),
                "Processor type",
                "False",
            ),
        ],
        // No media is loaded (the lab has no mkvopt/loadopt): aix_tdev,
        // the loaded file, is blank.
        Kind::Vtopt(_, lun) => vec![
            attr(
                "LogicalUnitAddr",
                format!("0x{lun:x}00000000000000"),
                "Logical Unit Address",
                "False",
            ),
            attr("aix_tdev", "", "Target Device Name", "False"),
            attr("client_reserve", "no", "Client Reserve", "True"),
            attr("mig_name", "", "N/A", "True"),
        ],
        _ => Vec::new(),
    }
}
