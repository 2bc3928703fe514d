// ipmikit/message.hpp — IPMI message vocabulary: network functions, LUNs, completion codes,
// standard command names, and light views of a request and a response body.
//
// A message *body* here is what a system interface (KCS, BT) and the VM protocol carry between
// their framing bytes: `netfn<<2 | lun`, `cmd`, then data; a response's data starts with the
// completion code. Nothing in this header owns memory; views point into the caller's bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace ipmikit {

// ---------------------------------------------------------------------------------------------
// Network functions (IPMI v2.0 §5.1, Table 5-1). Requests are even, the response is request + 1.
// Values between the named ones are legal on the wire (reserved or OEM) and keep their number.
enum class netfn : std::uint8_t {
  chassis = 0x00,          // IPMI v2.0 §28
  bridge = 0x02,           // ICMB bridging
  sensor_event = 0x04,     // IPMI v2.0 §29–§36
  app = 0x06,              // IPMI v2.0 §20–§27
  firmware = 0x08,         // firmware transfer, format not specified
  storage = 0x0A,          // FRU, SDR, SEL (IPMI v2.0 §31–§34)
  transport = 0x0C,        // LAN, serial/modem (IPMI v2.0 §23, §25)
  group_extension = 0x2C,  // first data byte is the defining body code
  oem_group = 0x2E,        // first three data bytes are the IANA enterprise number
  oem = 0x30,              // 0x30–0x3F are controller-specific OEM/group
};

inline constexpr std::uint8_t netfn_max = 0x3F;  // six bits on the wire

[[nodiscard]] constexpr bool is_request(netfn fn) noexcept {
  return (static_cast<std::uint8_t>(fn) & 1u) == 0;
}
[[nodiscard]] constexpr bool is_response(netfn fn) noexcept { return !is_request(fn); }

/// The response network function that pairs with `fn` (request or response alike).
[[nodiscard]] constexpr netfn response_netfn(netfn fn) noexcept {
  return static_cast<netfn>((static_cast<std::uint8_t>(fn) | 1u) & netfn_max);
}
/// The request network function that pairs with `fn` (request or response alike).
[[nodiscard]] constexpr netfn request_netfn(netfn fn) noexcept {
  return static_cast<netfn>(static_cast<std::uint8_t>(fn) & 0x3Eu);
}

/// The family name shared by a request netfn and its response ("App", "Chassis", "OEM", …),
/// or "reserved" for the unassigned range 0x0E–0x2B.
[[nodiscard]] constexpr std::string_view name(netfn fn) noexcept {
  const auto v = static_cast<std::uint8_t>(request_netfn(fn));
  switch (v) {
    case 0x00: return "Chassis";
    case 0x02: return "Bridge";
    case 0x04: return "Sensor/Event";
    case 0x06: return "App";
    case 0x08: return "Firmware";
    case 0x0A: return "Storage";
    case 0x0C: return "Transport";
    case 0x2C: return "Group Extension";
    case 0x2E: return "OEM/Group";
    default: return v >= 0x30 ? "OEM" : "reserved";
  }
}

// ---------------------------------------------------------------------------------------------
// Logical unit numbers (IPMI v2.0 §7.2, Table 7-1 notes): two bits beside the netfn.
enum class lun : std::uint8_t {
  bmc = 0,   // 00b: BMC commands and event request messages
  oem1 = 1,  // 01b: OEM LUN 1
  sms = 2,   // 10b: SMS message LUN (the receive message queue)
  oem2 = 3,  // 11b: OEM LUN 2
};

[[nodiscard]] constexpr std::string_view name(lun l) noexcept {
  switch (l) {
    case lun::bmc: return "BMC";
    case lun::oem1: return "OEM1";
    case lun::sms: return "SMS";
    case lun::oem2: return "OEM2";
  }
  return "invalid";
}

/// The `netfn<<2 | lun` byte that starts every message body (IPMI v2.0 §9.2, §11.1).
[[nodiscard]] constexpr std::uint8_t pack_netfn_lun(netfn fn, lun l) noexcept {
  return static_cast<std::uint8_t>(((static_cast<unsigned>(fn) & netfn_max) << 2) |
                                   (static_cast<unsigned>(l) & 3u));
}
[[nodiscard]] constexpr netfn netfn_of(std::uint8_t netfn_lun) noexcept {
  return static_cast<netfn>(netfn_lun >> 2);
}
[[nodiscard]] constexpr lun lun_of(std::uint8_t netfn_lun) noexcept {
  return static_cast<lun>(netfn_lun & 3u);
}

// ---------------------------------------------------------------------------------------------
// Completion codes (IPMI v2.0 §5.2, Table 5-2). Data in a response, not errors of the library.
enum class completion_code : std::uint8_t {
  success = 0x00,
  node_busy = 0xC0,
  invalid_command = 0xC1,
  invalid_command_for_lun = 0xC2,
  timeout = 0xC3,
  out_of_space = 0xC4,
  reservation_canceled = 0xC5,
  request_data_truncated = 0xC6,
  request_data_length_invalid = 0xC7,
  request_data_field_length_exceeded = 0xC8,
  parameter_out_of_range = 0xC9,
  cannot_return_requested_bytes = 0xCA,
  requested_sensor_not_present = 0xCB,
  invalid_data_field = 0xCC,
  command_illegal_for_sensor = 0xCD,
  response_not_provided = 0xCE,
  duplicated_request = 0xCF,
  sdr_repository_in_update = 0xD0,
  firmware_update_mode = 0xD1,
  bmc_initialization_in_progress = 0xD2,
  destination_unavailable = 0xD3,
  insufficient_privilege = 0xD4,
  not_supported_in_present_state = 0xD5,
  sub_function_disabled = 0xD6,
  unspecified = 0xFF,
};

/// The enumerator's name ("timeout"), or an empty view for codes outside Table 5-2
/// (0x01–0x7E are OEM, 0x80–0xBE command-specific).
[[nodiscard]] constexpr std::string_view name(completion_code cc) noexcept {
  switch (cc) {
    case completion_code::success: return "success";
    case completion_code::node_busy: return "node_busy";
    case completion_code::invalid_command: return "invalid_command";
    case completion_code::invalid_command_for_lun: return "invalid_command_for_lun";
    case completion_code::timeout: return "timeout";
    case completion_code::out_of_space: return "out_of_space";
    case completion_code::reservation_canceled: return "reservation_canceled";
    case completion_code::request_data_truncated: return "request_data_truncated";
    case completion_code::request_data_length_invalid: return "request_data_length_invalid";
    case completion_code::request_data_field_length_exceeded: return "request_data_field_length_exceeded";
    case completion_code::parameter_out_of_range: return "parameter_out_of_range";
    case completion_code::cannot_return_requested_bytes: return "cannot_return_requested_bytes";
    case completion_code::requested_sensor_not_present: return "requested_sensor_not_present";
    case completion_code::invalid_data_field: return "invalid_data_field";
    case completion_code::command_illegal_for_sensor: return "command_illegal_for_sensor";
    case completion_code::response_not_provided: return "response_not_provided";
    case completion_code::duplicated_request: return "duplicated_request";
    case completion_code::sdr_repository_in_update: return "sdr_repository_in_update";
    case completion_code::firmware_update_mode: return "firmware_update_mode";
    case completion_code::bmc_initialization_in_progress: return "bmc_initialization_in_progress";
    case completion_code::destination_unavailable: return "destination_unavailable";
    case completion_code::insufficient_privilege: return "insufficient_privilege";
    case completion_code::not_supported_in_present_state: return "not_supported_in_present_state";
    case completion_code::sub_function_disabled: return "sub_function_disabled";
    case completion_code::unspecified: return "unspecified";
  }
  return {};
}

/// A human description in the words of IPMI v2.0 Table 5-2, with the ranges the table reserves
/// for OEM and command-specific codes described as such.
[[nodiscard]] constexpr std::string_view describe(completion_code cc) noexcept {
  switch (cc) {
    case completion_code::success: return "Command completed normally";
    case completion_code::node_busy: return "Node busy: command could not be processed because resources are temporarily unavailable";
    case completion_code::invalid_command: return "Invalid command: unrecognized or unsupported command";
    case completion_code::invalid_command_for_lun: return "Command invalid for given LUN";
    case completion_code::timeout: return "Timeout while processing command; response unavailable";
    case completion_code::out_of_space: return "Out of space: insufficient storage or resources";
    case completion_code::reservation_canceled: return "Reservation canceled or invalid reservation ID";
    case completion_code::request_data_truncated: return "Request data truncated";
    case completion_code::request_data_length_invalid: return "Request data length invalid";
    case completion_code::request_data_field_length_exceeded: return "Request data field length limit exceeded";
    case completion_code::parameter_out_of_range: return "Parameter out of range";
    case completion_code::cannot_return_requested_bytes: return "Cannot return number of requested data bytes";
    case completion_code::requested_sensor_not_present: return "Requested sensor, data, or record not present";
    case completion_code::invalid_data_field: return "Invalid data field in request";
    case completion_code::command_illegal_for_sensor: return "Command illegal for specified sensor or record type";
    case completion_code::response_not_provided: return "Command response could not be provided";
    case completion_code::duplicated_request: return "Cannot execute duplicated request";
    case completion_code::sdr_repository_in_update: return "SDR repository in update mode";
    case completion_code::firmware_update_mode: return "Device in firmware update mode";
    case completion_code::bmc_initialization_in_progress: return "BMC initialization or initialization agent in progress";
    case completion_code::destination_unavailable: return "Destination unavailable";
    case completion_code::insufficient_privilege: return "Insufficient privilege level or security restriction";
    case completion_code::not_supported_in_present_state: return "Command or parameter not supported in present state";
    case completion_code::sub_function_disabled: return "Sub-function disabled or unavailable";
    case completion_code::unspecified: return "Unspecified error";
  }
  const auto v = static_cast<std::uint8_t>(cc);
  if (v >= 0x01 && v <= 0x7E) return "Device-specific (OEM) completion code";
  if (v >= 0x80 && v <= 0xBE) return "Command-specific completion code";
  return "Reserved completion code";
}

// ---------------------------------------------------------------------------------------------
// Standard commands (IPMI v2.0 Appendix G): a name for the code and a constant for the program.
// One table serves both: `commands::get_device_id` is {netfn::app, 0x01}, and
// `command_name(netfn::app, 0x01)` is "Get Device ID". It lists the commands a user meets first
// on a system interface; command_name() gives an empty view for anything else (print it in hex).

/// A command: its (request) network function and command code.
struct command_id {
  netfn function{};
  std::uint8_t code = 0;

  /// True for a message (request or response) with this command: `netfn_lun` is the body's
  /// first byte, `cmd` its second.
  [[nodiscard]] constexpr bool matches(std::uint8_t netfn_lun, std::uint8_t cmd) const noexcept {
    return (static_cast<unsigned>(netfn_of(netfn_lun)) & ~1u) == static_cast<unsigned>(function) &&
           cmd == code;
  }

  /// The first two bytes of a request for this command: `netfn<<2|lun`, `cmd` (the whole
  /// request of a command without data, such as Get Device ID).
  [[nodiscard]] constexpr std::array<std::uint8_t, 2> request(lun l = lun::bmc) const noexcept {
    return {pack_netfn_lun(function, l), code};
  }

  friend constexpr bool operator==(const command_id&, const command_id&) noexcept = default;
};

// X(netfn, code, identifier, name) for each standard command.
#define IPMIKIT_STANDARD_COMMANDS(X) \
  /* Chassis (IPMI v2.0 §28) */ \
  X(chassis, 0x00, get_chassis_capabilities, "Get Chassis Capabilities") \
  X(chassis, 0x01, get_chassis_status, "Get Chassis Status") \
  X(chassis, 0x02, chassis_control, "Chassis Control") \
  X(chassis, 0x03, chassis_reset, "Chassis Reset") \
  X(chassis, 0x04, chassis_identify, "Chassis Identify") \
  X(chassis, 0x05, set_chassis_capabilities, "Set Chassis Capabilities") \
  X(chassis, 0x06, set_power_restore_policy, "Set Power Restore Policy") \
  X(chassis, 0x07, get_system_restart_cause, "Get System Restart Cause") \
  X(chassis, 0x08, set_system_boot_options, "Set System Boot Options") \
  X(chassis, 0x09, get_system_boot_options, "Get System Boot Options") \
  X(chassis, 0x0F, get_poh_counter, "Get POH Counter") \
  /* Sensor/Event (IPMI v2.0 §29, §35) */ \
  X(sensor_event, 0x00, set_event_receiver, "Set Event Receiver") \
  X(sensor_event, 0x01, get_event_receiver, "Get Event Receiver") \
  X(sensor_event, 0x02, platform_event_message, "Platform Event Message") \
  X(sensor_event, 0x20, get_device_sdr_info, "Get Device SDR Info") \
  X(sensor_event, 0x21, get_device_sdr, "Get Device SDR") \
  X(sensor_event, 0x22, reserve_device_sdr_repository, "Reserve Device SDR Repository") \
  X(sensor_event, 0x26, set_sensor_thresholds, "Set Sensor Thresholds") \
  X(sensor_event, 0x27, get_sensor_thresholds, "Get Sensor Thresholds") \
  X(sensor_event, 0x28, set_sensor_event_enable, "Set Sensor Event Enable") \
  X(sensor_event, 0x29, get_sensor_event_enable, "Get Sensor Event Enable") \
  X(sensor_event, 0x2B, get_sensor_event_status, "Get Sensor Event Status") \
  X(sensor_event, 0x2D, get_sensor_reading, "Get Sensor Reading") \
  X(sensor_event, 0x2F, get_sensor_type, "Get Sensor Type") \
  /* App (IPMI v2.0 §20–§22, §27) */ \
  X(app, 0x01, get_device_id, "Get Device ID") \
  X(app, 0x02, cold_reset, "Cold Reset") \
  X(app, 0x03, warm_reset, "Warm Reset") \
  X(app, 0x04, get_self_test_results, "Get Self Test Results") \
  X(app, 0x05, manufacturing_test_on, "Manufacturing Test On") \
  X(app, 0x06, set_acpi_power_state, "Set ACPI Power State") \
  X(app, 0x07, get_acpi_power_state, "Get ACPI Power State") \
  X(app, 0x08, get_device_guid, "Get Device GUID") \
  X(app, 0x09, get_netfn_support, "Get NetFn Support") \
  X(app, 0x0A, get_command_support, "Get Command Support") \
  X(app, 0x22, reset_watchdog_timer, "Reset Watchdog Timer") \
  X(app, 0x24, set_watchdog_timer, "Set Watchdog Timer") \
  X(app, 0x25, get_watchdog_timer, "Get Watchdog Timer") \
  X(app, 0x2E, set_bmc_global_enables, "Set BMC Global Enables") \
  X(app, 0x2F, get_bmc_global_enables, "Get BMC Global Enables") \
  X(app, 0x30, clear_message_flags, "Clear Message Flags") \
  X(app, 0x31, get_message_flags, "Get Message Flags") \
  X(app, 0x32, enable_message_channel_receive, "Enable Message Channel Receive") \
  X(app, 0x33, get_message, "Get Message") \
  X(app, 0x34, send_message, "Send Message") \
  X(app, 0x35, read_event_message_buffer, "Read Event Message Buffer") \
  X(app, 0x36, get_bt_interface_capabilities, "Get BT Interface Capabilities") \
  X(app, 0x37, get_system_guid, "Get System GUID") \
  X(app, 0x38, get_channel_authentication_capabilities, "Get Channel Authentication Capabilities") \
  X(app, 0x40, set_channel_access, "Set Channel Access") \
  X(app, 0x41, get_channel_access, "Get Channel Access") \
  X(app, 0x42, get_channel_info, "Get Channel Info") \
  X(app, 0x43, set_user_access, "Set User Access") \
  X(app, 0x44, get_user_access, "Get User Access") \
  X(app, 0x45, set_user_name, "Set User Name") \
  X(app, 0x46, get_user_name, "Get User Name") \
  X(app, 0x47, set_user_password, "Set User Password") \
  X(app, 0x54, get_channel_cipher_suites, "Get Channel Cipher Suites") \
  X(app, 0x57, get_system_interface_capabilities, "Get System Interface Capabilities") \
  X(app, 0x58, set_system_info_parameters, "Set System Info Parameters") \
  X(app, 0x59, get_system_info_parameters, "Get System Info Parameters") \
  /* Storage (IPMI v2.0 §34, §33, §31) */ \
  X(storage, 0x10, get_fru_inventory_area_info, "Get FRU Inventory Area Info") \
  X(storage, 0x11, read_fru_data, "Read FRU Data") \
  X(storage, 0x12, write_fru_data, "Write FRU Data") \
  X(storage, 0x20, get_sdr_repository_info, "Get SDR Repository Info") \
  X(storage, 0x22, reserve_sdr_repository, "Reserve SDR Repository") \
  X(storage, 0x23, get_sdr, "Get SDR") \
  X(storage, 0x40, get_sel_info, "Get SEL Info") \
  X(storage, 0x42, reserve_sel, "Reserve SEL") \
  X(storage, 0x43, get_sel_entry, "Get SEL Entry") \
  X(storage, 0x44, add_sel_entry, "Add SEL Entry") \
  X(storage, 0x46, delete_sel_entry, "Delete SEL Entry") \
  X(storage, 0x47, clear_sel, "Clear SEL") \
  X(storage, 0x48, get_sel_time, "Get SEL Time") \
  X(storage, 0x49, set_sel_time, "Set SEL Time") \
  /* Transport (IPMI v2.0 §23, §25) */ \
  X(transport, 0x01, set_lan_configuration_parameters, "Set LAN Configuration Parameters") \
  X(transport, 0x02, get_lan_configuration_parameters, "Get LAN Configuration Parameters") \
  X(transport, 0x10, set_serial_modem_configuration, "Set Serial/Modem Configuration") \
  X(transport, 0x11, get_serial_modem_configuration, "Get Serial/Modem Configuration") \
  X(transport, 0x21, set_sol_configuration_parameters, "Set SOL Configuration Parameters") \
  X(transport, 0x22, get_sol_configuration_parameters, "Get SOL Configuration Parameters") \
  /* end */

namespace commands {
#define IPMIKIT_COMMAND_CONSTANT(fn, value, identifier, text) \
  inline constexpr command_id identifier{netfn::fn, value};
IPMIKIT_STANDARD_COMMANDS(IPMIKIT_COMMAND_CONSTANT)
#undef IPMIKIT_COMMAND_CONSTANT
}  // namespace commands

namespace detail {
struct named_command {
  command_id id;
  std::string_view name;
};
#define IPMIKIT_COMMAND_ROW(fn, value, identifier, text) named_command{commands::identifier, text},
inline constexpr named_command command_table[] = {IPMIKIT_STANDARD_COMMANDS(IPMIKIT_COMMAND_ROW)};
#undef IPMIKIT_COMMAND_ROW
}  // namespace detail

#undef IPMIKIT_STANDARD_COMMANDS

/// Appendix G's name of the command (request or response netfn alike), or an empty view for a
/// command not in the table.
[[nodiscard]] constexpr std::string_view command_name(netfn fn, std::uint8_t cmd) noexcept {
  const command_id wanted{request_netfn(fn), cmd};
  for (const auto& row : detail::command_table)
    if (row.id == wanted) return row.name;
  return {};
}
[[nodiscard]] constexpr std::string_view command_name(command_id c) noexcept {
  return command_name(c.function, c.code);
}

// ---------------------------------------------------------------------------------------------
// Views of a message body. `parse` returns nothing when the body is too short to hold the
// fields; the spans point into the bytes given to it.

/// A request body: `netfn<<2|lun`, `cmd`, data (IPMI v2.0 §9.2 / §11.1 without transport bytes).
struct request_view {
  static constexpr std::size_t min_size = 2;  // netfn/LUN and command

  netfn function{};
  ipmikit::lun lun{};
  std::uint8_t command = 0;
  std::span<const std::uint8_t> data;

  [[nodiscard]] static constexpr std::optional<request_view> parse(
      std::span<const std::uint8_t> body) noexcept {
    if (body.size() < min_size) return std::nullopt;
    return request_view{netfn_of(body[0]), lun_of(body[0]), body[1], body.subspan(2)};
  }
};

/// A response body: `netfn<<2|lun`, `cmd`, completion code, data.
struct response_view {
  static constexpr std::size_t min_size = 3;  // netfn/LUN, command and completion code

  netfn function{};
  ipmikit::lun lun{};
  std::uint8_t command = 0;
  completion_code code{};
  std::span<const std::uint8_t> data;  // after the completion code

  [[nodiscard]] static constexpr std::optional<response_view> parse(
      std::span<const std::uint8_t> body) noexcept {
    if (body.size() < min_size) return std::nullopt;
    return response_view{netfn_of(body[0]), lun_of(body[0]), body[1],
                         static_cast<completion_code>(body[2]), body.subspan(3)};
  }
};

}  // namespace ipmikit
