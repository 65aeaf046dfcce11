-- barlua.pcie: the PCI and PCI Express config-space structures as barlua.regs maps, and
-- pcie.bind(config), which places them where a device has them.
--
--   local pcie = require "barlua.pcie"
--   local cfg = pcie.bind(pci.config("0000:01:00.0"))
--   print(cfg.express.link_status.current_link_speed)   -- 1..6 = 2.5 .. 64 GT/s
--   print(cfg.header.command)                            -- a view: all fields, one read
--   regs.dump(cfg.aer)
--
-- Field names are the PCI Express Base Specification's, in snake_case. Registers whose bits are
-- cleared by writing 1 (the status registers: Status, Device Status, Link Status, AER status)
-- are read-only here: a field write is a read-modify-write, and writing back a status read as
-- 1 would clear it. Clear such bits with config:write16/32 and exactly the bits meant.
local regs = require "barlua.regs"

local M = {}

-- "name:bit" or "name:lsb-msb", optionally "/ro": a compact field list.
local function fields(spec)
  local t = {}
  for item in spec:gmatch("%S+") do
    local name, lsb, msb, access = item:match("^([%w_]+):(%d+)%-?(%d*)/?(%a*)$")
    if not name then error("barlua.pcie: bad field spec " .. item) end
    local f = msb ~= "" and {lsb = tonumber(lsb), msb = tonumber(msb)} or {bit = tonumber(lsb)}
    if access ~= "" then f.access = access end
    t[name] = f
  end
  return t
end

local function reg(name, offset, width, access, spec, doc)
  return {name = name, offset = offset, width = width, access = access,
    fields = spec and fields(spec) or nil, doc = doc}
end

local RW1C = "write-1-to-clear bits: read-only here, clear them with config:write"

-- The first 16 bytes, the same in every header type.
local function common()
  return {
    reg("vendor_id", 0x00, 16, "ro"),
    reg("device_id", 0x02, 16, "ro"),
    reg("command", 0x04, 16, "rw", "io_space_enable:0 memory_space_enable:1 bus_master_enable:2 "
      .. "special_cycle_enable:3 memory_write_and_invalidate:4 vga_palette_snoop:5 "
      .. "parity_error_response:6 idsel_stepping:7 serr_enable:8 fast_back_to_back_enable:9 "
      .. "interrupt_disable:10"),
    reg("status", 0x06, 16, "ro", "immediate_readiness:0 interrupt_status:3 capabilities_list:4 "
      .. "capable_66mhz:5 fast_back_to_back_capable:7 master_data_parity_error:8 devsel_timing:9-10 "
      .. "signaled_target_abort:11 received_target_abort:12 received_master_abort:13 "
      .. "signaled_system_error:14 detected_parity_error:15", RW1C),
    reg("revision_id", 0x08, 8, "ro"),
    reg("programming_interface", 0x09, 8, "ro"),
    reg("sub_class_code", 0x0A, 8, "ro"),
    reg("base_class_code", 0x0B, 8, "ro"),
    reg("cache_line_size", 0x0C, 8, "rw"),
    reg("latency_timer", 0x0D, 8, "rw"),
    reg("header_type", 0x0E, 8, "ro", "header_layout:0-6 multi_function_device:7"),
    reg("bist", 0x0F, 8, "rw", "completion_code:0-3/ro start_bist:6 bist_capable:7/ro"),
  }
end

local function with(list, more)
  for _, r in ipairs(more) do list[#list + 1] = r end
  return list
end

M.type0 = regs.define{name = "type0", size = 0x40, doc = "Type 0 configuration space header",
  registers = with(common(), {
    reg("bar0", 0x10, 32, "rw"), reg("bar1", 0x14, 32, "rw"), reg("bar2", 0x18, 32, "rw"),
    reg("bar3", 0x1C, 32, "rw"), reg("bar4", 0x20, 32, "rw"), reg("bar5", 0x24, 32, "rw"),
    reg("cardbus_cis_pointer", 0x28, 32, "ro"),
    reg("subsystem_vendor_id", 0x2C, 16, "ro"),
    reg("subsystem_id", 0x2E, 16, "ro"),
    reg("expansion_rom_base_address", 0x30, 32, "rw"),
    reg("capabilities_pointer", 0x34, 8, "ro"),
    reg("interrupt_line", 0x3C, 8, "rw"),
    reg("interrupt_pin", 0x3D, 8, "ro"),
    reg("min_gnt", 0x3E, 8, "ro"),
    reg("max_lat", 0x3F, 8, "ro"),
  })}

M.type1 = regs.define{name = "type1", size = 0x40, doc = "Type 1 (bridge) configuration space header",
  registers = with(common(), {
    reg("bar0", 0x10, 32, "rw"), reg("bar1", 0x14, 32, "rw"),
    reg("primary_bus_number", 0x18, 8, "rw"),
    reg("secondary_bus_number", 0x19, 8, "rw"),
    reg("subordinate_bus_number", 0x1A, 8, "rw"),
    reg("secondary_latency_timer", 0x1B, 8, "rw"),
    reg("io_base", 0x1C, 8, "rw"),
    reg("io_limit", 0x1D, 8, "rw"),
    reg("secondary_status", 0x1E, 16, "ro", "capable_66mhz:5 fast_back_to_back_capable:7 "
      .. "master_data_parity_error:8 devsel_timing:9-10 signaled_target_abort:11 "
      .. "received_target_abort:12 received_master_abort:13 received_system_error:14 "
      .. "detected_parity_error:15", RW1C),
    reg("memory_base", 0x20, 16, "rw"),
    reg("memory_limit", 0x22, 16, "rw"),
    reg("prefetchable_memory_base", 0x24, 16, "rw"),
    reg("prefetchable_memory_limit", 0x26, 16, "rw"),
    reg("prefetchable_base_upper_32_bits", 0x28, 32, "rw"),
    reg("prefetchable_limit_upper_32_bits", 0x2C, 32, "rw"),
    reg("io_base_upper_16_bits", 0x30, 16, "rw"),
    reg("io_limit_upper_16_bits", 0x32, 16, "rw"),
    reg("capabilities_pointer", 0x34, 8, "ro"),
    reg("expansion_rom_base_address", 0x38, 32, "rw"),
    reg("interrupt_line", 0x3C, 8, "rw"),
    reg("interrupt_pin", 0x3D, 8, "ro"),
    reg("bridge_control", 0x3E, 16, "rw", "parity_error_response_enable:0 serr_enable:1 "
      .. "isa_enable:2 vga_enable:3 vga_16bit_decode:4 master_abort_mode:5 secondary_bus_reset:6 "
      .. "fast_back_to_back_transactions_enable:7 primary_discard_timeout:8 "
      .. "secondary_discard_timeout:9 discard_timer_status:10 discard_timer_serr_enable:11"),
  })}

local function cap_header()
  return {reg("capability_id", 0x00, 8, "ro"), reg("next_capability_pointer", 0x01, 8, "ro")}
end

M.express = regs.define{name = "express", doc = "PCI Express Capability (id 0x10)",
  registers = with(cap_header(), {
    reg("pci_express_capabilities", 0x02, 16, "ro", "capability_version:0-3 device_port_type:4-7 "
      .. "slot_implemented:8 interrupt_message_number:9-13 flit_mode_supported:15"),
    reg("device_capabilities", 0x04, 32, "ro", "max_payload_size_supported:0-2 "
      .. "phantom_functions_supported:3-4 extended_tag_field_supported:5 "
      .. "endpoint_l0s_acceptable_latency:6-8 endpoint_l1_acceptable_latency:9-11 "
      .. "role_based_error_reporting:15 err_cor_subclass_capable:16 "
      .. "captured_slot_power_limit_value:18-25 captured_slot_power_limit_scale:26-27 "
      .. "function_level_reset_capability:28"),
    reg("device_control", 0x08, 16, "rw", "correctable_error_reporting_enable:0 "
      .. "non_fatal_error_reporting_enable:1 fatal_error_reporting_enable:2 "
      .. "unsupported_request_reporting_enable:3 enable_relaxed_ordering:4 max_payload_size:5-7 "
      .. "extended_tag_field_enable:8 phantom_functions_enable:9 aux_power_pm_enable:10 "
      .. "enable_no_snoop:11 max_read_request_size:12-14 initiate_function_level_reset:15"),
    reg("device_status", 0x0A, 16, "ro", "correctable_error_detected:0 non_fatal_error_detected:1 "
      .. "fatal_error_detected:2 unsupported_request_detected:3 aux_power_detected:4 "
      .. "transactions_pending:5 emergency_power_reduction_detected:6", RW1C),
    reg("link_capabilities", 0x0C, 32, "ro", "max_link_speed:0-3 maximum_link_width:4-9 "
      .. "aspm_support:10-11 l0s_exit_latency:12-14 l1_exit_latency:15-17 "
      .. "clock_power_management:18 surprise_down_error_reporting_capable:19 "
      .. "data_link_layer_link_active_reporting_capable:20 "
      .. "link_bandwidth_notification_capability:21 aspm_optionality_compliance:22 port_number:24-31"),
    reg("link_control", 0x10, 16, "rw", "aspm_control:0-1 read_completion_boundary:3 link_disable:4 "
      .. "retrain_link:5 common_clock_configuration:6 extended_synch:7 "
      .. "enable_clock_power_management:8 hardware_autonomous_width_disable:9 "
      .. "link_bandwidth_management_interrupt_enable:10 "
      .. "link_autonomous_bandwidth_interrupt_enable:11"),
    reg("link_status", 0x12, 16, "ro", "current_link_speed:0-3 negotiated_link_width:4-9 "
      .. "link_training:11 slot_clock_configuration:12 data_link_layer_link_active:13 "
      .. "link_bandwidth_management_status:14 link_autonomous_bandwidth_status:15", RW1C),
    reg("slot_capabilities", 0x14, 32, "ro", "attention_button_present:0 power_controller_present:1 "
      .. "mrl_sensor_present:2 attention_indicator_present:3 power_indicator_present:4 "
      .. "hot_plug_surprise:5 hot_plug_capable:6 slot_power_limit_value:7-14 "
      .. "slot_power_limit_scale:15-16 electromechanical_interlock_present:17 "
      .. "no_command_completed_support:18 physical_slot_number:19-31"),
    reg("slot_control", 0x18, 16, "rw", "attention_button_pressed_enable:0 "
      .. "power_fault_detected_enable:1 mrl_sensor_changed_enable:2 "
      .. "presence_detect_changed_enable:3 command_completed_interrupt_enable:4 "
      .. "hot_plug_interrupt_enable:5 attention_indicator_control:6-7 power_indicator_control:8-9 "
      .. "power_controller_control:10 electromechanical_interlock_control:11 "
      .. "data_link_layer_state_changed_enable:12"),
    reg("slot_status", 0x1A, 16, "ro", "attention_button_pressed:0 power_fault_detected:1 "
      .. "mrl_sensor_changed:2 presence_detect_changed:3 command_completed:4 mrl_sensor_state:5 "
      .. "presence_detect_state:6 electromechanical_interlock_status:7 "
      .. "data_link_layer_state_changed:8", RW1C),
    reg("root_control", 0x1C, 16, "rw", "system_error_on_correctable_error_enable:0 "
      .. "system_error_on_non_fatal_error_enable:1 system_error_on_fatal_error_enable:2 "
      .. "pme_interrupt_enable:3 crs_software_visibility_enable:4"),
    reg("root_capabilities", 0x1E, 16, "ro", "crs_software_visibility:0"),
    reg("root_status", 0x20, 32, "ro", "pme_requester_id:0-15 pme_status:16 pme_pending:17", RW1C),
    reg("device_capabilities_2", 0x24, 32, "ro", "completion_timeout_ranges_supported:0-3 "
      .. "completion_timeout_disable_supported:4 ari_forwarding_supported:5 "
      .. "atomicop_routing_supported:6 atomicop_32bit_completer_supported:7 "
      .. "atomicop_64bit_completer_supported:8 cas_128bit_completer_supported:9 "
      .. "no_ro_enabled_pr_pr_passing:10 ltr_mechanism_supported:11 tph_completer_supported:12-13 "
      .. "obff_supported:18-19 extended_fmt_field_supported:20 end_end_tlp_prefix_supported:21 "
      .. "max_end_end_tlp_prefixes:22-23"),
    reg("device_control_2", 0x28, 16, "rw", "completion_timeout_value:0-3 "
      .. "completion_timeout_disable:4 ari_forwarding_enable:5 atomicop_requester_enable:6 "
      .. "atomicop_egress_blocking:7 ido_request_enable:8 ido_completion_enable:9 "
      .. "ltr_mechanism_enable:10 obff_enable:13-14 end_end_tlp_prefix_blocking:15"),
    reg("device_status_2", 0x2A, 16, "ro"),
    reg("link_capabilities_2", 0x2C, 32, "ro", "supported_link_speeds_vector:1-7 crosslink_supported:8"),
    reg("link_control_2", 0x30, 16, "rw", "target_link_speed:0-3 enter_compliance:4 "
      .. "hardware_autonomous_speed_disable:5 selectable_de_emphasis:6 transmit_margin:7-9 "
      .. "enter_modified_compliance:10 compliance_sos:11 compliance_preset_de_emphasis:12-15"),
    reg("link_status_2", 0x32, 16, "ro", "current_de_emphasis_level:0 equalization_8gts_complete:1 "
      .. "equalization_8gts_phase_1_successful:2 equalization_8gts_phase_2_successful:3 "
      .. "equalization_8gts_phase_3_successful:4 link_equalization_request_8gts:5", RW1C),
    reg("slot_capabilities_2", 0x34, 32, "ro"),
    reg("slot_control_2", 0x38, 16, "rw"),
    reg("slot_status_2", 0x3A, 16, "ro"),
  })}

M.pm = regs.define{name = "pm", doc = "PCI Power Management Capability (id 0x01)",
  registers = with(cap_header(), {
    reg("power_management_capabilities", 0x02, 16, "ro", "version:0-2 pme_clock:3 "
      .. "immediate_readiness_on_return_to_d0:4 device_specific_initialization:5 aux_current:6-8 "
      .. "d1_support:9 d2_support:10 pme_support:11-15"),
    reg("power_management_control_status", 0x04, 16, "rw", "power_state:0-1 no_soft_reset:3/ro "
      .. "pme_enable:8 data_select:9-12 data_scale:13-14/ro pme_status:15",
      "pme_status is write-1-to-clear: a field write writes back the PME Status it read"),
    reg("pmcsr_bridge_extensions", 0x06, 8, "ro"),
    reg("data", 0x07, 8, "ro"),
  })}

local function msi_map(name, is64, masking)
  local r = with(cap_header(), {
    reg("message_control", 0x02, 16, "rw", "msi_enable:0 multiple_message_capable:1-3/ro "
      .. "multiple_message_enable:4-6 address_64_bit_capable:7/ro per_vector_masking_capable:8/ro "
      .. "extended_message_data_capable:9/ro extended_message_data_enable:10"),
    reg("message_address", 0x04, 32, "rw"),
  })
  local at = 0x08
  if is64 then
    r[#r + 1] = reg("message_upper_address", 0x08, 32, "rw")
    at = 0x0C
  end
  r[#r + 1] = reg("message_data", at, 16, "rw")
  if masking then
    r[#r + 1] = reg("mask_bits", at + 4, 32, "rw")
    r[#r + 1] = reg("pending_bits", at + 8, 32, "ro")
  end
  return regs.define{name = name, registers = r, doc = "MSI Capability (id 0x05), "
    .. (is64 and "64" or "32") .. "-bit address" .. (masking and ", per-vector masking" or "")}
end

M.msi = msi_map("msi", false, false)
M.msi64 = msi_map("msi64", true, false)
M.msi_masking = msi_map("msi_masking", false, true)
M.msi64_masking = msi_map("msi64_masking", true, true)

M.msix = regs.define{name = "msix", doc = "MSI-X Capability (id 0x11)",
  registers = with(cap_header(), {
    reg("message_control", 0x02, 16, "rw", "table_size:0-10/ro function_mask:14 msix_enable:15"),
    reg("table_offset_bir", 0x04, 32, "ro", "table_bir:0-2 table_offset:3-31",
      "table_offset is the byte offset divided by 8"),
    reg("pba_offset_bir", 0x08, 32, "ro", "pba_bir:0-2 pba_offset:3-31"),
  })}

local function ext_header()
  return {reg("extended_capability_header", 0x00, 32, "ro",
    "capability_id:0-15 capability_version:16-19 next_capability_offset:20-31")}
end

local UNCORRECTABLE = "data_link_protocol_error:4 surprise_down_error:5 poisoned_tlp_received:12 "
  .. "flow_control_protocol_error:13 completion_timeout:14 completer_abort:15 "
  .. "unexpected_completion:16 receiver_overflow:17 malformed_tlp:18 ecrc_error:19 "
  .. "unsupported_request_error:20 acs_violation:21 uncorrectable_internal_error:22 "
  .. "mc_blocked_tlp:23 atomicop_egress_blocked:24 tlp_prefix_blocked_error:25 "
  .. "poisoned_tlp_egress_blocked:26"
local CORRECTABLE = "receiver_error:0 bad_tlp:6 bad_dllp:7 replay_num_rollover:8 "
  .. "replay_timer_timeout:12 advisory_non_fatal_error:13 corrected_internal_error:14 "
  .. "header_log_overflow:15"

local function aer_map(name, root)
  local r = with(ext_header(), {
    reg("uncorrectable_error_status", 0x04, 32, "ro", UNCORRECTABLE, RW1C),
    reg("uncorrectable_error_mask", 0x08, 32, "rw", UNCORRECTABLE),
    reg("uncorrectable_error_severity", 0x0C, 32, "rw", UNCORRECTABLE),
    reg("correctable_error_status", 0x10, 32, "ro", CORRECTABLE, RW1C),
    reg("correctable_error_mask", 0x14, 32, "rw", CORRECTABLE),
    reg("advanced_error_capabilities_and_control", 0x18, 32, "rw", "first_error_pointer:0-4/ro "
      .. "ecrc_generation_capable:5/ro ecrc_generation_enable:6 ecrc_check_capable:7/ro "
      .. "ecrc_check_enable:8 multiple_header_recording_capable:9/ro "
      .. "multiple_header_recording_enable:10 tlp_prefix_log_present:11/ro "
      .. "completion_timeout_prefix_header_log_capable:12/ro"),
    reg("header_log_0", 0x1C, 32, "ro"), reg("header_log_1", 0x20, 32, "ro"),
    reg("header_log_2", 0x24, 32, "ro"), reg("header_log_3", 0x28, 32, "ro"),
  })
  if root then
    with(r, {
      reg("root_error_command", 0x2C, 32, "rw", "correctable_error_reporting_enable:0 "
        .. "non_fatal_error_reporting_enable:1 fatal_error_reporting_enable:2"),
      reg("root_error_status", 0x30, 32, "ro", "err_cor_received:0 "
        .. "multiple_err_cor_received:1 err_fatal_nonfatal_received:2 "
        .. "multiple_err_fatal_nonfatal_received:3 first_uncorrectable_fatal:4 "
        .. "non_fatal_error_messages_received:5 fatal_error_messages_received:6 "
        .. "advanced_error_interrupt_message_number:27-31", RW1C),
      reg("error_source_identification", 0x34, 32, "ro",
        "err_cor_source_identification:0-15 err_fatal_nonfatal_source_identification:16-31"),
    })
  end
  return regs.define{name = name, registers = r, doc = "Advanced Error Reporting Extended Capability"
    .. " (id 0x0001)" .. (root and ", with the registers of root ports and event collectors" or "")}
end

M.aer = aer_map("aer", false)
M.aer_root = aer_map("aer_root", true)

M.dsn = regs.define{name = "dsn", doc = "Device Serial Number Extended Capability (id 0x0003)",
  registers = with(ext_header(), {
    reg("serial_number_lower", 0x04, 32, "ro"),
    reg("serial_number_upper", 0x08, 32, "ro"),
  })}

-- A window of a config object starting at `base`, shaped like a bar for regs.bind.
local Window = {__name = "barlua.pcie window"}
Window.__index = Window

-- Its size covers the map even where the config space this user may read is smaller: an
-- access past that raises the config object's own error, which says why.
local function window(config, base, what, map)
  return setmetatable({config = config, base = base, what = what,
    size = math.max(config.size - base, map.extent)}, Window)
end

-- Called through pcall, so the config object's error carries no position inside this file
-- (barlua.regs names the register and the user's line).
for _, width in ipairs{8, 16, 32} do
  local read, write = "read" .. width, "write" .. width
  Window[read] = function(w, off)
    local ok, res = pcall(w.config[read], w.config, w.base + off)
    if not ok then error(res, 0) end
    return res
  end
  Window[write] = function(w, off, v)
    local ok, res = pcall(w.config[write], w.config, w.base + off, v)
    if not ok then error(res, 0) end
  end
end

function Window.__tostring(w)
  return string.format("%s %s at 0x%x", tostring(w.config), w.what, w.base)
end

local function is_config(c)
  local ok, res = pcall(function()
    return type(c.read32) == "function" and type(c.find) == "function"
      and math.type(c.size) == "integer"
  end)
  return ok and res
end

-- pcie.bind(config) -> {header =, express =, pm =, msi =, msix =, aer =, dsn =}: a regs
-- binding for each structure the device has, at its offset.
function M.bind(config)
  if not is_config(config) then
    error("pcie.bind: argument must be a config object (pci.config(addr) or device:config()), got "
      .. type(config), 2)
  end
  local ok, res = pcall(function()
    local t = {}
    local layout = config:read8(0x0E) & 0x7F
    local header = ({[0] = M.type0, [1] = M.type1})[layout]
    if header then t.header = regs.bind(window(config, 0, "header", header), header) end
    local function place(name, map, off)
      off = off or config:find(name)
      if off then t[name] = regs.bind(window(config, off, name, map), map) end
      return off
    end
    place("pm", M.pm)
    place("msix", M.msix)
    local express = place("express", M.express)
    local msi = config:find("msi")
    if msi then
      local control = config:read16(msi + 2)
      local is64, masking = control & 0x80 ~= 0, control & 0x100 ~= 0
      place("msi", masking and (is64 and M.msi64_masking or M.msi_masking)
        or (is64 and M.msi64 or M.msi), msi)
    end
    local aer = config:find("aer")
    if aer then
      -- Root ports (4) and event collectors (10) have the root registers.
      local kind = express and (config:read16(express + 2) >> 4) & 0xF
      place("aer", (kind == 4 or kind == 10) and M.aer_root or M.aer, aer)
    end
    place("dsn", M.dsn)
    return t
  end)
  if not ok then error("pcie.bind: " .. tostring(res), 2) end
  return res
end

-- Link Status / Link Capabilities speed codes in GT/s.
M.speeds = {2.5, 5, 8, 16, 32, 64}

return M
