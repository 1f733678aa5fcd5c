//! What a frame may be: the names a topology's frames are checked against,
//! as the real product spells them.

/// Processor generations and the compatibility modes each can run.
pub const GENERATIONS: &[(&str, &[&str])] = &[
    ("POWER6", &["default", "POWER6"]),
    ("POWER6+", &["default", "POWER6", "POWER6_Plus"]),
    ("POWER7", &["default", "POWER6", "POWER6_Plus", "POWER7"]),
    ("POWER7+", &["default", "POWER6", "POWER6_Plus", "POWER7"]),
    (
        "POWER8",
        &["default", "POWER6", "POWER6_Plus", "POWER7", "POWER8"],
    ),
    (
        "POWER9",
        &["default", "POWER7", "POWER8", "POWER9_base", "POWER9"],
    ),
    (
        "POWER10",
        &["default", "POWER8", "POWER9_base", "POWER9", "POWER10"],
    ),
];

/// Managed-system capability names this lab knows (`lssyscfg -r sys -F capabilities`).
pub const CAPABILITIES: &[&str] = &[
    "active_lpar_mobility_capable",
    "inactive_lpar_mobility_capable",
    "powervm_lpar_remote_restart_capable",
    "powervm_lpar_simplified_remote_restart_capable",
    "lpar_remote_restart_capable",
    "lpar_suspend_capable",
    "active_lpar_share_idle_procs_capable",
    "vios_lpar_mobility_capable",
    "virtual_fc_capable",
    "virtual_switch_capable",
    "hca_capable",
    "huge_page_mem_capable",
];

pub const FRAME_POWER_STATES: &[&str] = &["Operating", "Standby", "Power Off"];
