// apps/ipmikit-bmc/bmc.hpp — one VM's BMC on top of a vm::bmc_session: the BMC core's
// components (ipmikit/bmc/: controller, watchdog, chassis, SEL, FRU and GUIDs) answer the
// commands through one bmc::dispatcher; this class carries out what they report (power
// commands, attention, interrupts), logs it, and counts it. No sockets here: the server
// (main.cpp) feeds bytes and time in and drains the session's outbound bytes, and the unit tests
// (tests/bmc_fleet_test.cpp) drive it with an emulator session in memory.
//
// Every behaviour is documented in docs/ipmikit-bmc.md ("What it answers", "The watchdog").
#pragma once

#include <ipmikit/ipmikit.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "config.hpp"
#include "log.hpp"
#include "qmp.hpp"
#include "state_store.hpp"

namespace ipmikit_bmc {

namespace vm = ipmikit::vm;
namespace bmc = ipmikit::bmc;
namespace cmd = ipmikit::cmd;
using ipmikit::completion_code;
namespace commands = ipmikit::commands;
using wall_clock = std::chrono::system_clock;  // the SEL's time is UTC

// ---------------------------------------------------------------------------------------------
// Numbers

/// The Watchdog 2 sensor's number in the events this BMC logs and in its SDR.
constexpr std::uint8_t watchdog_sensor_number = 0x01;
/// The simulated temperature sensor's number (its SDR and Get Sensor Reading).
constexpr std::uint8_t temperature_sensor_number = 0x02;
/// The power-state sensor's number (its SDR and Get Sensor Reading; `power_sensor`).
constexpr std::uint8_t power_sensor_number = 0x03;
/// System ACPI Power State sensor type and the two states it reports (IPMI v2.0 §42.2 table
/// 42-3, sensor type 22h): offset 00h S0/G0 "working" while the VM is on, 07h G3 "mechanical
/// off" while it is off (QEMU's POWEROFF, or no VM connected: "Power state" in the docs).
constexpr std::uint8_t acpi_power_state_sensor_type = 0x22;  // IPMI v2.0 §42.2 table 42-3
constexpr std::uint16_t acpi_s0_working = 1u << 0x00;         // IPMI v2.0 §42.2 table 42-3, offset 00h
constexpr std::uint16_t acpi_g3_mechanical_off = 1u << 0x07;  // IPMI v2.0 §42.2 table 42-3, offset 07h
/// What Get Device ID says this BMC is besides a controller (IPMI v2.0 §20.1 byte 6): a chassis
/// device, a SEL device, an SDR repository with sensors, and a FRU inventory device.
constexpr std::uint8_t device_support = bmc::device_support::chassis_device | bmc::device_support::sel_device |
                                        bmc::device_support::sdr_repository | bmc::device_support::sensor_device |
                                        bmc::device_support::fru_inventory;
/// The SDR repository's room: MC and FRU locators, the watchdog, temperature and power sensors.
constexpr std::size_t sdr_records = 8;

constexpr std::string_view use_key(cmd::watchdog_timer_use use) {  // log values, stable for scripts
  constexpr std::string_view names[] = {"reserved", "bios_frb2", "bios_post", "os_load", "sms_os", "oem"};
  const auto i = static_cast<std::size_t>(use);
  return i < std::size(names) ? names[i] : "reserved";
}
/// The same words as the configuration's watchdog_action.
constexpr std::string_view action_key(cmd::watchdog_timeout_action a) {
  switch (a) {
    case cmd::watchdog_timeout_action::none: return "none";
    case cmd::watchdog_timeout_action::hard_reset: return "reset";
    case cmd::watchdog_timeout_action::power_down: return "power_off";
    case cmd::watchdog_timeout_action::power_cycle: return "power_cycle";
  }
  return "reserved";
}
constexpr std::string_view pretimeout_key(cmd::watchdog_pretimeout_interrupt p) {
  switch (p) {
    case cmd::watchdog_pretimeout_interrupt::none: return "none";
    case cmd::watchdog_pretimeout_interrupt::smi: return "smi";
    case cmd::watchdog_pretimeout_interrupt::nmi: return "nmi";
    case cmd::watchdog_pretimeout_interrupt::messaging: return "messaging";
  }
  return "reserved";
}

// ---------------------------------------------------------------------------------------------
// Types

/// What the BMC can do to the VM: without `qmp`, each is one VM command gated by a capability
/// (power_on and power_cycle are not: the VM protocol has no power-on); with `qmp`, power on,
/// off, cycle, reset and soft shutdown go through QMP (qmp.hpp), NMI stays a VM command.
enum class power_action : std::uint8_t { none, power_off, reset, nmi, soft_shutdown, power_on, power_cycle };

constexpr std::string_view name(power_action a) {
  switch (a) {
    case power_action::none: return "none";
    case power_action::power_off: return "power_off";
    case power_action::reset: return "reset";
    case power_action::nmi: return "nmi";
    case power_action::soft_shutdown: return "soft_shutdown";
    case power_action::power_on: return "power_on";
    case power_action::power_cycle: return "power_cycle";
  }
  return "none";
}
constexpr qmp_op qmp_op_for(power_action a) {
  switch (a) {
    case power_action::power_on: return qmp_op::power_on;
    case power_action::power_off: return qmp_op::power_off;
    case power_action::power_cycle: return qmp_op::power_cycle;
    case power_action::reset: return qmp_op::reset;
    case power_action::soft_shutdown: return qmp_op::powerdown;
    default: return qmp_op::none;
  }
}
constexpr vm::capability capability_for(power_action a) {
  switch (a) {
    case power_action::reset: return vm::capability::reset;
    case power_action::nmi: return vm::capability::nmi;
    case power_action::soft_shutdown: return vm::capability::graceful_shutdown;
    default: return vm::capability::power;
  }
}

/// What became of a power request (the operator's, the guest's Chassis Control or the
/// watchdog's). At most one VM command is handed to the connection at a time; the others wait
/// in a queue that holds each action at most once, so a burst of identical requests is one
/// command, and the VM's responses never wait behind more than one command (docs/ipmikit-bmc.md,
/// "Power commands").
enum class power_outcome : std::uint8_t {
  sent,            // handed to the VM connection now (written this loop turn unless it is full)
  queued,          // another VM command is ahead of it; it follows 10 ms after that one
  already_queued,  // the same command waits and was not sent yet: not queued twice
  already_off,     // POWEROFF was sent on this connection (with qmp: the VM is off): not sent again
  already_on,      // power on while on: nothing to do
  not_connected,   // no VM connection (with qmp: no QMP connection, QEMU is not running)
  missing_capability,
  vm_off,          // with qmp: reset or soft shutdown of a VM that is off
};

constexpr std::string_view name(power_outcome o) {
  switch (o) {
    case power_outcome::sent: return "sent";
    case power_outcome::queued: return "queued";
    case power_outcome::already_queued: return "already_queued";
    case power_outcome::already_off: return "already_off";
    case power_outcome::already_on: return "already_on";
    case power_outcome::not_connected: return "not_connected";
    case power_outcome::missing_capability: return "missing_capability";
    case power_outcome::vm_off: return "vm_off";
  }
  return "?";
}
constexpr bool accepted(power_outcome o) { return o <= power_outcome::already_on; }

/// Counters for `status` on the control socket.
struct vm_stats {
  std::uint64_t connections = 0;
  std::uint64_t requests = 0;
  std::uint64_t unsupported = 0;       // answered C1
  std::uint64_t watchdog_expiries = 0;
  std::uint64_t pretimeouts = 0;
  std::uint64_t power_actions = 0;     // VM commands sent: power off, reset, NMI, soft shutdown
  std::uint64_t power_coalesced = 0;   // power requests answered already_queued / already_off
  std::uint64_t protocol_problems = 0;
  std::uint64_t dropped_responses = 0; // the peer floods and does not read: answers it missed
  std::uint64_t lan_requests = 0;      // answered for LAN sessions (and session-less LAN discovery)
};

/// The time a request is handled at: the watchdog and the chassis count on the steady clock,
/// the SEL stamps UTC. The components' commands take whichever they need (bmc/sel.hpp).
struct instant {
  time_point steady{};
  wall_clock::time_point wall{};
  operator time_point() const { return steady; }
  operator wall_clock::time_point() const { return wall; }
};

/// A VM's SEL: up to max_sel_capacity records (sel_capacity lowers it), kept in a vector that
/// grows as records arrive — 16 bytes a record held, not a reserved 16 KiB a VM (a fleet of
/// 10,000 VMs mostly has empty SELs).
using vm_sel = bmc::basic_sel<max_sel_capacity, wall_clock, std::vector<bmc::sel_entry>>;

/// A VM's FRU area: 1,024 bytes as QEMU's, kept in a vector as long as the configured image
/// (and what the guest wrote past it), not a reserved 1 KiB a VM.
using vm_fru = bmc::basic_fru_inventory<bmc::fru_default_area_size, std::vector<std::uint8_t>>;

/// The simulated inlet temperature (docs/ipmikit-bmc.md, "Sensors"): 1 °C per count, thresholds
/// a real board would have; its reading is the configured temperature.
constexpr bmc::threshold_sensor temperature_sensor = [] {
  bmc::threshold_sensor t;
  t.name = "Inlet Temp";
  t.number = temperature_sensor_number;
  t.thresholds.readable = cmd::threshold_bit::upper_non_critical | cmd::threshold_bit::upper_critical |
                          cmd::threshold_bit::upper_non_recoverable;
  t.thresholds.upper_non_critical = 40;
  t.thresholds.upper_critical = 45;
  t.thresholds.upper_non_recoverable = 50;
  t.sensor_max = 127;
  return t;
}();

/// The power-state sensor (`power_sensor`): follows the chassis power as this BMC knows it.
constexpr bmc::discrete_sensor power_state_sensor{"Power State", power_sensor_number, acpi_power_state_sensor_type,
                                                  bmc::sensor_specific_event_type, bmc::entity_system_board, 1,
                                                  acpi_s0_working | acpi_g3_mechanical_off};

/// One VM's BMC state as the commands see it: the BMC core's components, and the time.
struct vm_components {
  bmc::controller mc;
  bmc::watchdog watchdog;
  bmc::chassis chassis;
  vm_sel sel;
  vm_fru fru;
  bmc::guids ids;
  bmc::basic_sdr_repository<sdr_records, wall_clock> sdr;
  bmc::users users;
  instant at;
  [[nodiscard]] instant now() const { return at; }
};
using vm_dispatcher = bmc::dispatcher<vm_components>;

/// Get Device ID's answer from the configuration (IPMI v2.0 §20.1).
inline cmd::get_device_id::response device_id_of(const identity& id) {
  cmd::get_device_id::response r;
  r.device_id = id.device_id;
  r.device_revision = static_cast<std::uint8_t>(id.device_revision & 0x0Fu);  // no device SDRs
  r.firmware_major = static_cast<std::uint8_t>(id.firmware_major & 0x7Fu);    // device available
  r.firmware_minor = static_cast<std::uint8_t>(((id.firmware_minor / 10u) << 4) | (id.firmware_minor % 10u));  // BCD
  r.ipmi_version = 0x02;  // IPMI 2.0 (BCD, minor digit in the high nibble)
  r.additional_support = device_support;
  r.manufacturer_id = id.manufacturer & 0xFFFFFu;
  r.product_id = id.product;
  return r;
}

/// The most bytes a component's save() writes (the SEL and the chassis say max_saved_size, the
/// FRU its fixed saved_size).
template <class Component>
constexpr std::size_t saved_bytes = [] {
  if constexpr (requires { Component::max_saved_size; }) return Component::max_saved_size;
  else return Component::saved_size;
}();

/// FNV-1a (64 bits) of some bytes: names the FRU state file after the image the configuration
/// makes, so that a changed configuration starts from its own image, not from an old one's writes.
inline std::uint64_t fnv1a(std::span<const std::uint8_t> bytes) {
  std::uint64_t h = 0xCBF29CE484222325u;  // FNV-1a 64-bit offset basis
  for (const std::uint8_t b : bytes) h = (h ^ b) * 0x100000001B3u;  // FNV-1a 64-bit prime
  return h;
}

/// The byte a one-byte typed value encodes to (the global enables, the message flags).
template <class T>
std::uint8_t byte_of(const T& v) {
  std::array<std::uint8_t, 1> b{};
  (void)v.encode(b);
  return b[0];
}

/// The boot devices an operator names (`boot set`; ipmitool's `chassis bootdev` words, and the
/// remote media of IPMI v2.0 §28.13 boot flags byte 2).
using cmd::boot::boot_device;
inline constexpr std::pair<std::string_view, boot_device> boot_device_words[] = {
    {"none", boot_device::none},         {"pxe", boot_device::pxe},           {"disk", boot_device::hard_disk},
    {"safe", boot_device::hard_disk_safe}, {"diag", boot_device::diagnostic}, {"cdrom", boot_device::cd_dvd},
    {"bios", boot_device::bios_setup},   {"floppy", boot_device::floppy},     {"remote_floppy", boot_device::remote_floppy},
    {"remote_cdrom", boot_device::remote_cd_dvd}, {"remote_media", boot_device::remote_primary_media},
    {"remote_disk", boot_device::remote_hard_disk},
};

constexpr std::string_view word_of(cmd::boot::boot_device d) {
  for (const auto& [word, device] : boot_device_words)
    if (device == d) return word;
  return "reserved";
}

/// The most SEL records one `sel list` answer holds (the rest: `more=ID`, then `sel list NAME
/// ID`): an answer stays a few KiB whatever the SEL's size.
constexpr std::size_t sel_list_page = 64;

// ---------------------------------------------------------------------------------------------
// The BMC of one VM

class vm_bmc {
 public:
  /// The session's 2 KiB outbound buffer is held only while output waits (an idle VM, most of
  /// a fleet, keeps none); the server's back-pressure (main.cpp) reads its room as before.
  using session_type = vm::bmc_session<clock_type, 2048, std::vector<std::uint8_t>>;

  explicit vm_bmc(const vm_config& cfg) : cfg_(&cfg), session_(session_config(cfg)) {
    if (!cfg.state_dir.empty()) store_.emplace(cfg.state_dir);
    state_.mc = bmc::controller({.identity = device_id_of(cfg.id)});
    // QEMU cannot power a VM on: there is no restore policy to report (Get Chassis Status).
    (void)state_.chassis.set_restore_policy(cmd::power_restore_policy::unknown);
    (void)state_.sel.set_limit(cfg.sel_capacity);
    (void)state_.fru.build(cfg.fru.fields());  // checked when the configuration was read
    if (cfg.system_guid) state_.ids.set_system(*cfg.system_guid);
    if (cfg.device_guid) state_.ids.set_device(*cfg.device_guid);
    state_.users = bmc::users([&] {
      bmc::users_config c;
      if (cfg.lan_port != 0) c.sol_port = cfg.lan_port;  // SOL parameter 8: where `sol activate` goes
      c.sol_enabled = cfg.serial.has_value();            // parameter 1's first value: SOL needs a console
      return c;
    }());
    for (const user_entry& u : cfg.users) (void)state_.users.set_user(u.id, u.settings());  // checked when read
    bmc::sdr_config sdr{};
    sdr.watchdog_number = watchdog_sensor_number;
    sdr.threshold_sensors = std::span(&temperature_sensor, 1);
    if (cfg.power_sensor) sdr.discrete_sensors = std::span(&power_state_sensor, 1);
    (void)state_.sdr.build(sdr, wall_clock::now());  // fixed records: they fit (tests say so)
    (void)state_.sdr.set_reading(temperature_sensor_number, cfg.temperature);
    (void)state_.sdr.set_states(watchdog_sensor_number, 0);  // no event yet: a reading, not "unavailable"
    power_sensor_follows();  // off: no VM connected yet
    if (cfg.watchdog.timeout) {  // configured defaults: as if set with timer use SMS/OS
      cmd::set_watchdog_timer::request d;
      d.timer_use = cmd::watchdog_timer_use::sms_os;
      d.pretimeout_interrupt = static_cast<cmd::watchdog_pretimeout_interrupt>(cfg.watchdog.pretimeout);
      d.timeout_action = static_cast<cmd::watchdog_timeout_action>(cfg.watchdog.action);
      d.pretimeout_interval = cfg.watchdog.pretimeout_seconds;
      d.initial_countdown = *cfg.watchdog.timeout;
      (void)state_.watchdog.set(d, time_point{});  // the configuration allows no SMI: accepted
    }
    std::array<std::uint8_t, saved_bytes<vm_fru>> image{};
    const std::size_t n = state_.fru.save(image);
    char name[32];
    std::snprintf(name, sizeof name, "fru-%016llx.state",
                  static_cast<unsigned long long>(fnv1a(std::span(image).first(n))));
    fru_file_ = name;
    saved_ = {state_.sel.generation(), state_.chassis.generation(), state_.fru.generation(),
              state_.users.generation()};
  }
  vm_bmc(const vm_bmc&) = delete;
  vm_bmc& operator=(const vm_bmc&) = delete;

  [[nodiscard]] const std::string& name() const { return cfg_->name; }
  [[nodiscard]] const vm_config& config() const { return *cfg_; }
  [[nodiscard]] session_type& session() { return session_; }
  [[nodiscard]] const session_type& session() const { return session_; }
  [[nodiscard]] const vm_stats& stats() const { return stats_; }
  [[nodiscard]] const bmc::watchdog& timer() const { return state_.watchdog; }
  [[nodiscard]] const vm_components& components() const { return state_; }
  [[nodiscard]] bool connected() const { return session_.connected(); }
  /// Power as this BMC knows it: with `qmp`, what QEMU's run state says (qmp.hpp); without,
  /// on while the VM is connected, off once it sent POWEROFF.
  [[nodiscard]] bool power_on() const { return has_qmp() ? qmp_.on() : session_.connected() && !powered_off_; }
  [[nodiscard]] bool has_qmp() const { return !cfg_->qmp_path.empty(); }
  [[nodiscard]] const qmp_machine& qmp() const { return qmp_; }
  /// Get Message Flags' byte.
  [[nodiscard]] std::uint8_t message_flags() const {
    return byte_of(state_.mc.message_flags(state_.watchdog.pretimeout_flag()));
  }
  [[nodiscard]] bool verbose() const { return verbose_; }
  void set_verbose(bool v) { verbose_ = v; }
  /// Where the SEL's time comes from (tests give a fixed one).
  void set_wall_clock(wall_clock::time_point (*read)()) { wall_ = read; }

  // --- durable state (docs/ipmikit-bmc.md, "State that survives a restart") -------------------

  /// Reads the VM's state directory, if it has one: each component's file restores it. A file
  /// that is damaged or that its component refuses is renamed NAME.bad-N and logged, and that
  /// component starts fresh: the VM is served either way. An error's text when the directory
  /// itself cannot be used (the program does not start then).
  std::optional<std::string> load_state() {
    if (!store_) return std::nullopt;
    if (const store_status st = store_->prepare(); !st) return st.describe();
    if (!restore(state_.sel, saved_.sel, sel_file) || !restore(state_.chassis, saved_.chassis, chassis_file) ||
        !restore(state_.fru, saved_.fru, fru_file_) || !restore(state_.users, saved_.users, users_file))
      return state_error_;
    store_ready_ = true;
    // The configured users are first values: once users.state holds the users, it wins (what
    // the guest or an operator changed is not undone by a restart).
    if (!cfg_->users.empty() && users_loaded_)
      log_event(name(), "event=users_from_state path=%s note=%s", quoted(store_->path_of(users_file)).c_str(),
                quoted("the configured users are not applied: delete the file to start from them").c_str());
    return std::nullopt;
  }

  /// Makes every durable change since the last call durable (a file per changed component), once
  /// load_state() has read the directory. False (logged) when a file could not be written: that
  /// change is in memory only, and the next successful call writes it.
  bool persist() {
    // Nothing is written before load_state() read the directory: a write then would replace
    // files nobody has read (and a BMC built only to answer, as the fuzzers do, writes nothing).
    if (!store_ || !store_ready_) return true;
    bool ok = save(state_.sel, saved_.sel, sel_file);
    ok = save(state_.chassis, saved_.chassis, chassis_file) && ok;
    ok = save(state_.users, saved_.users, users_file) && ok;
    return save(state_.fru, saved_.fru, fru_file_) && ok;
  }

  // --- connection and bytes (called by the server) -------------------------------------------

  void connected(time_point now, std::string_view peer) {
    now_ = now;
    state_.mc.forget_attention();
    powered_off_ = false;
    problems_logged_ = 0;
    connect_offset_ = bytes_in_;
    ++stats_.connections;
    if (admit(log_kind::chatter)) log_event(name(), "event=connected peer=%s", quoted(peer).c_str());
    session_.connect(now, events{*this, now});  // queues VERSION 1
    if (!has_qmp()) {  // with qmp, QEMU's run state says (qmp_follows)
      (void)state_.chassis.power_changed(true, take_restart_cause(), now);
      power_sensor_follows();
    }
    if (cfg_->watchdog.start_on_connect && state_.watchdog.initialized() && !state_.watchdog.running()) {
      (void)state_.watchdog.reset(now);
      if (admit(log_kind::chatter)) log_event(name(), "event=watchdog_started reason=configured %s", describe_watchdog().c_str());
    }
  }

  void disconnected(time_point now, std::string_view why) {
    now_ = now;
    if (admit(log_kind::chatter)) log_event(name(), "event=disconnected reason=%s", quoted(why).c_str());
    session_.disconnect(now, events{*this, now});
    state_.mc.forget_attention();
    powered_off_ = false;
    if (!has_qmp()) {
      (void)state_.chassis.power_changed(false, cmd::restart_cause::unknown, now);
      power_sensor_follows();
    }
    // Power requests still waiting were answered "queued": say that they were not sent.
    if (in_flight_ != power_action::none && admit(log_kind::action))
      log_event(name(), "event=power action=%s reason=%s result=not_sent note=\"disconnected before it was written\"",
                std::string(ipmikit_bmc::name(in_flight_)).c_str(), in_flight_reason_);
    for (std::size_t k = 0; k < queued_count_; ++k)
      if (admit(log_kind::action))
        log_event(name(), "event=power action=%s reason=%s result=not_sent note=\"disconnected while queued\"",
                  std::string(ipmikit_bmc::name(queue_[k].action)).c_str(), queue_[k].reason);
    queued_count_ = 0;
    in_flight_ = power_action::none;
    in_flight_unsent_ = 0;
    // The timeout action could not reach the VM, and must not hit a VM that connects later.
    // The settings stay: the guest's next Reset Watchdog Timer starts it again.
    if (state_.watchdog.running()) {
      state_.watchdog.stop(now);
      if (admit(log_kind::chatter)) log_event(name(), "event=watchdog_stopped reason=disconnected");
    }
  }

  void receive(std::span<const std::uint8_t> bytes, time_point now) {
    now_ = now;
    bytes_in_ += bytes.size();
    session_.receive(bytes, now, events{*this, now});
  }

  /// `n` bytes of session().outbound() were written to the VM (use this, not
  /// session().consume(): it tells when the power command in flight has gone out, so that the
  /// next queued one can follow).
  void consumed(std::size_t n, time_point now) {
    now_ = now;
    session_.consume(n, now);
    if (in_flight_ == power_action::none) return;
    in_flight_unsent_ -= std::min(n, in_flight_unsent_);
    if (in_flight_unsent_ == 0) in_flight_ = power_action::none;
    release_power();
  }

  /// Ends a command gap that is over, fires watchdog events that are due, reports suppressed
  /// log lines that are due.
  void poll(time_point now) {
    now_ = now;
    session_.poll(now, events{*this, now});
    release_power();
    if (has_qmp()) qmp_.poll(now);  // a power cycle's power on, after its second off
    if (state_.watchdog.due(now)) {
      state_.at = {now, wall_()};
      state_.watchdog.poll(now, [&](const auto& e) { on_watchdog(e, now); });
      (void)persist();  // the events' SEL records
    }
    if (const auto due = limiter_.report_due(); due && now >= *due) report_suppressed();
  }

  /// True when poll(now) would fire the watchdog's pre-timeout or expiry: the server reads what
  /// the VM has sent before that (a pet waiting in the socket must count; docs "Under stress").
  [[nodiscard]] bool watchdog_due(time_point now) const { return state_.watchdog.due(now); }

  [[nodiscard]] std::optional<time_point> next_deadline() const {
    auto due = session_.next_deadline();
    auto sooner = [&due](std::optional<time_point> t) {
      if (t && (!due || *t < *due)) due = t;
    };
    sooner(state_.watchdog.next_deadline());
    sooner(limiter_.report_due());
    if (has_qmp()) sooner(qmp_.next_deadline());
    return due;
  }

  /// The log budget of this VM (log.hpp): true if a line of kind `k` may be logged now. A line
  /// admitted after some were suppressed is preceded by `event=log_suppressed lines=N`.
  bool admit(log_kind k) {
    if (!limiter_.admit(k, now_)) return false;
    report_suppressed();
    return true;
  }
  [[nodiscard]] const log_limiter& log_budget() const { return limiter_; }
  /// Power commands handed to the connection and not written yet, plus those queued (≤ 4).
  [[nodiscard]] std::size_t power_pending() const { return queued_count_ + (in_flight_ != power_action::none ? 1u : 0u); }
  /// Logs how many lines were suppressed since the last report, if any.
  void report_suppressed() {
    if (const std::uint64_t n = limiter_.take_report())
      log_event(name(), "event=log_suppressed lines=%llu", static_cast<unsigned long long>(n));
  }

  // --- IPMI over LAN (lan.hpp) ----------------------------------------------------------------

  /// A request from a LAN session, at its privilege on the LAN channel (or session-less, at
  /// privilege unspecified: discovery only): the same commands as the VM's own, a change on
  /// disk before it is acknowledged, and a Chassis Control carried out after its response
  /// with reason=lan.
  bmc::dispatch_result lan_request(bmc::origin from, std::span<const std::uint8_t> request,
                                   std::span<std::uint8_t> out, time_point now) {
    now_ = now;
    state_.at = {now, wall_()};
    sync_support();
    bmc::dispatch_result res = commands().dispatch(state_, request, from, out);
    if (!res) return res;
    ++stats_.lan_requests;
    if (!persist() && res.code == completion_code::success) {
      out[2] = static_cast<std::uint8_t>(completion_code::unspecified);
      res.size = 3;
      res.code = completion_code::unspecified;
    }
    tell_interface();  // a LAN client may change what the guest's interface shows (message flags)
    while (const auto rq = state_.chassis.take_request()) carry_out(rq->action, "lan");
    return res;
  }
  /// The LAN side's view of this VM's users (login by name, K_uid, privilege limits).
  [[nodiscard]] const bmc::users& users() const { return state_.users; }
  /// Sessions open on the LAN channel (Get Channel Info byte 4).
  void set_lan_sessions(std::size_t n) { state_.users.set_active_sessions(static_cast<std::uint8_t>(std::min<std::size_t>(n, 0x3F))); }

  // --- power requests (the control socket, Chassis Control, the watchdog) ---------------------

  /// Asks for the VM command of `a` (see power_outcome): at most one command is handed to the
  /// connection at a time; identical requests that have not gone out yet are one command.
  power_outcome request_power(power_action a, const char* reason) {
    if (has_qmp() && a != power_action::nmi) return qmp_power(a, reason);
    if (a == power_action::power_cycle) a = power_action::power_off;  // no power-on: off, a supervisor restarts it
    power_outcome o = power_outcome::queued;
    if (a == power_action::power_on) {
      o = power_on() ? power_outcome::already_on : power_outcome::missing_capability;
    } else if (!session_.connected()) {
      o = power_outcome::not_connected;
    } else if (!session_.peer_capabilities().has(capability_for(a))) {
      o = power_outcome::missing_capability;
    } else if (a == power_action::power_off && powered_off_) {
      o = power_outcome::already_off;
    } else if (in_flight_ == a || std::any_of(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(queued_count_),
                                              [a](const queued_power& q) { return q.action == a; })) {
      o = power_outcome::already_queued;
    } else {
      queue_[queued_count_++] = {a, reason};  // room: one entry per action, each at most once
      release_power();
      if (in_flight_ == a) o = power_outcome::sent;
    }
    if (o == power_outcome::already_queued || o == power_outcome::already_off) ++stats_.power_coalesced;
    if (admit(log_kind::action))
      log_event(name(), "event=power action=%s reason=%s result=%s", std::string(ipmikit_bmc::name(a)).c_str(), reason,
                std::string(ipmikit_bmc::name(o)).c_str());
    return o;
  }

  /// The operator's power command. Returns the answer's text after "ok " or "error ".
  power_outcome operator_action(power_action a, std::string& why) {
    const power_outcome o = request_power(a, "control");
    if (o == power_outcome::not_connected) why = "VM not connected";
    if (o == power_outcome::not_connected && has_qmp()) why = "QMP not connected (QEMU is not running)";
    if (o == power_outcome::missing_capability)
      why = a == power_action::power_on
                ? std::string("no power on without qmp (the VM protocol has none; see docs/ipmikit-bmc.md, \"Power\")")
                : "the VM does not support " + std::string(ipmikit_bmc::name(a)) + " (capabilities 0x" +
                      hex2(session_.peer_capabilities().to_byte()) + ")";
    if (o == power_outcome::vm_off) why = "the VM is off";
    return o;
  }

  /// A power request carried out over QMP: judged against the state the pending operation aims
  /// at (qmp_machine::intended_on), so each path is idempotent — power on when on and power off
  /// when off do nothing and succeed; the same request while it is pending is one operation.
  power_outcome qmp_power(power_action a, const char* reason) {
    const qmp_op op = qmp_op_for(a);
    const bool on = qmp_.intended_on();
    power_outcome o = power_outcome::sent;
    if (!qmp_.ready()) {
      o = a == power_action::power_off ? power_outcome::already_off : power_outcome::not_connected;
    } else if (qmp_.pending() == op && op != qmp_op::powerdown) {
      o = power_outcome::already_queued;
    } else if (a == power_action::power_on && on) {
      o = power_outcome::already_on;
    } else if (a == power_action::power_off && !on) {
      o = power_outcome::already_off;
    } else if ((a == power_action::reset || a == power_action::soft_shutdown) && !on) {
      o = power_outcome::vm_off;
    } else {
      (void)qmp_.request(op, now_);
      ++stats_.power_actions;
      // A reset is a boot now (QEMU resets at once); a power on or cycle boots when QMP says
      // the VM runs again (qmp_follows).
      if (a == power_action::reset) (void)state_.chassis.power_changed(true, take_restart_cause(), now_);
    }
    if (o == power_outcome::already_queued || o == power_outcome::already_off || o == power_outcome::already_on)
      ++stats_.power_coalesced;
    if (admit(log_kind::action))
      log_event(name(), "event=power action=%s reason=%s result=%s via=qmp", std::string(ipmikit_bmc::name(a)).c_str(),
                reason, std::string(ipmikit_bmc::name(o)).c_str());
    return o;
  }

  // --- QMP (the server owns the socket; qmp.hpp) ------------------------------------------------

  /// True when the server should connect to the VM's QMP socket now.
  [[nodiscard]] bool qmp_connect_due(time_point now) const { return has_qmp() && qmp_.connect_due(now); }
  /// The socket connected: the greeting is awaited.
  void qmp_connected(time_point now) {
    now_ = now;
    qmp_.connected(now);
    qmp_logged_failure_ = false;
    if (admit(log_kind::chatter)) log_event(name(), "event=qmp_connected path=%s", quoted(cfg_->qmp_path).c_str());
  }
  /// A connect failed (`was_connected` false) or the connection ended: the VM is off (no QEMU,
  /// or none we can ask); the next try is a second later. A failed connect is logged once per
  /// outage, not once a second.
  void qmp_disconnected(time_point now, std::string_view why, bool was_connected) {
    now_ = now;
    const bool was_on = qmp_.on();
    qmp_.disconnected(now);
    if ((was_connected || !qmp_logged_failure_) && admit(log_kind::chatter))
      log_event(name(), "event=qmp_disconnected reason=%s%s", quoted(why).c_str(),
                was_connected ? "" : " note=\"retrying every second, logged once\"");
    if (!was_connected) qmp_logged_failure_ = true;
    if (was_on) qmp_follows(false, now);
  }
  /// Bytes read from the QMP socket. False: close the connection (logged).
  bool qmp_receive(std::span<const char> bytes, time_point now) {
    now_ = now;
    const qmp_op pending_before = qmp_.pending();
    const qmp_feed_result r = qmp_.receive(bytes);
    for (const std::string& e : r.errors)
      if (admit(log_kind::chatter)) log_event(name(), "event=qmp_error error=%s", quoted(e).c_str());
    if (verbose_)
      for (const std::string& e : r.events)
        if (admit(log_kind::verbose)) log_event(name(), "event=qmp_event name=%s status=%s", e.c_str(), qmp_.status().c_str());
    if (r.power_changed)
      qmp_follows(pending_before == qmp_op::power_on || pending_before == qmp_op::power_cycle, now);
    if (!first_status_seen_ && !qmp_.status().empty()) first_status_seen_ = true;
    if (r.close) {
      if (admit(log_kind::chatter)) log_event(name(), "event=qmp_error error=%s action=disconnect", quoted(*r.close).c_str());
      return false;
    }
    return true;
  }
  /// QMP commands not written yet, and how many bytes of them were.
  [[nodiscard]] std::string_view qmp_outbound() const { return qmp_.outbound(); }
  void qmp_consumed(std::size_t n) { qmp_.consume(n); }
  /// Connected without a greeting for too long: the server closes it.
  [[nodiscard]] bool qmp_overdue(time_point now) const { return has_qmp() && qmp_.greeting_overdue(now); }

  // --- the operator's SEL and boot device (control socket: sel, boot) -------------------------

  /// `sel list`'s lines: `entries=N capacity=M overflow=yes|no`, then a line per record from
  /// the one with ID `from` (0: the first), at most sel_list_page, and `more=0xID` when records
  /// remain. False when no record has the ID `from`.
  bool sel_list(std::uint16_t from, std::string& out) const {
    const auto& sel = state_.sel;
    std::size_t i = 0;
    while (from != 0 && i < sel.size() && sel.at(i).record_id != from) ++i;
    if (i == sel.size() && from != 0) return false;
    char line[96];
    std::snprintf(line, sizeof line, "entries=%zu capacity=%zu overflow=%s\n", sel.size(), sel.limit(),
                  sel.overflow() ? "yes" : "no");
    out += line;
    for (std::size_t shown = 0; i < sel.size(); ++i, ++shown) {
      const cmd::sel_record r = sel.at(i);
      if (shown == sel_list_page) {
        std::snprintf(line, sizeof line, "more=0x%04X\n", static_cast<unsigned>(r.record_id));
        out += line;
        break;
      }
      std::snprintf(line, sizeof line, "id=0x%04X type=0x%02X", static_cast<unsigned>(r.record_id),
                    static_cast<unsigned>(r.record_type));
      out += line;
      // Records other than OEM non-timestamped ones carry the SEL time (IPMI v2.0 §32.1-§32.3).
      if (!r.is_oem_non_timestamped()) out += " time=" + std::to_string(r.timestamp);
      out += " record=";
      for (const std::uint8_t b : sel.bytes_at(i)) out += hex2(b);
      out += '\n';
    }
    return true;
  }

  /// Clears the SEL as Clear SEL does (a reservation, then erase), and writes it. The number of
  /// records cleared, or the state file's error (the SEL is clear in memory either way).
  std::size_t clear_sel(std::string& error) {
    const std::size_t n = state_.sel.size();
    cmd::clear_sel::request rq;
    rq.reservation_id = state_.sel.reserve();
    rq.action = cmd::clear_sel_action::initiate_erase;
    (void)state_.sel.clear(rq, wall_());  // its own fresh reservation: accepted
    if (admit(log_kind::action)) log_event(name(), "event=sel_cleared entries=%zu reason=control", n);
    if (!persist()) error = "cleared, but the state file could not be written (see the log)";
    return n;
  }

  /// `boot get`'s lines: the boot flags (System Boot Options parameter 5) as Get reads them now.
  [[nodiscard]] std::string boot_status(time_point now) const {
    const cmd::boot::boot_flags f = state_.chassis.boot_flags_at(now);
    return "device=" + std::string(word_of(f.device)) + "\nvalid=" + (f.valid ? "yes" : "no") +
           "\npersistent=" + (f.persistent ? "yes" : "no") + "\nefi=" + (f.efi ? "yes" : "no") + "\n";
  }

  /// Sets the boot device as Set System Boot Options parameter 5 does (valid; `persistent`: every
  /// boot, else the next one, within 60 s per IPMI v2.0 §28.12), and writes it. The error text,
  /// or empty.
  std::string set_boot_device(cmd::boot::boot_device d, bool persistent, time_point now) {
    cmd::boot::boot_flags f;
    f.valid = d != cmd::boot::boot_device::none;
    f.persistent = persistent && f.valid;
    f.device = d;
    cmd::set_system_boot_options::request rq;
    rq.value = cmd::boot::parameter{f};
    if (state_.chassis.set_boot_option(rq, now) != completion_code::success) return "the chassis refused the boot flags";
    if (admit(log_kind::action))
      log_event(name(), "event=boot_device_set device=%s persistent=%s reason=control", std::string(word_of(d)).c_str(),
                f.persistent ? "yes" : "no");
    if (!persist()) return "set, but the state file could not be written (see the log)";
    return {};
  }

  /// `key=value` lines for `status NAME`.
  [[nodiscard]] std::string status(time_point now) const {
    const auto caps = session_.peer_capabilities();
    const bmc::watchdog& wd = state_.watchdog;
    const auto present = static_cast<unsigned>(wd.present_countdown(now));
    // "no (RESET missing)" when a connected VM cannot carry out the armed watchdog's action.
    const auto missing = connected() ? watchdog_missing() : std::nullopt;
    const std::string enforceable =
        !wd.initialized() || !missing ? std::string("yes") : "no (" + std::string(vm::name(*missing)) + " missing)";
    char buf[1200];
    std::snprintf(buf, sizeof buf,
                  "name=%s\nlisten=%s\nconnected=%s\npower=%s\ncapabilities=0x%02X\n"
                  "watchdog_initialized=%s\nwatchdog_running=%s\nwatchdog_use=%s\nwatchdog_action=%s\n"
                  "watchdog_pretimeout=%s\nwatchdog_pretimeout_seconds=%u\nwatchdog_initial_ms=%u\n"
                  "watchdog_countdown_ms=%u\nwatchdog_expired_flags=0x%02X\nglobal_enables=0x%02X\n"
                  "message_flags=0x%02X\nconnections=%llu\nrequests=%llu\nunsupported=%llu\n"
                  "watchdog_expiries=%llu\npretimeouts=%llu\npower_actions=%llu\nprotocol_problems=%llu\n"
                  "dropped_responses=%llu\nwatchdog_enforceable=%s\npower_pending=%zu\npower_coalesced=%llu\n"
                  "log_suppressed=%llu\nsel_entries=%zu\nsel_capacity=%zu\nqmp=%s\nqmp_status=%s",
                  name().c_str(), cfg_->listen.text().c_str(), connected() ? "yes" : "no", power_on() ? "on" : "off",
                  caps.to_byte(), wd.initialized() ? "yes" : "no", wd.running() ? "yes" : "no",
                  std::string(use_key(wd.timer_use())).c_str(), std::string(action_key(wd.timeout_action())).c_str(),
                  std::string(pretimeout_key(wd.pretimeout_interrupt())).c_str(),
                  static_cast<unsigned>(wd.pretimeout_interval()), static_cast<unsigned>(wd.initial_countdown()) * 100u,
                  present * 100u, static_cast<unsigned>(wd.expiration_flags().to_byte()),
                  static_cast<unsigned>(byte_of(state_.mc.global_enables())), static_cast<unsigned>(message_flags()),
                  ull(stats_.connections), ull(stats_.requests), ull(stats_.unsupported), ull(stats_.watchdog_expiries),
                  ull(stats_.pretimeouts), ull(stats_.power_actions), ull(stats_.protocol_problems),
                  ull(stats_.dropped_responses), enforceable.c_str(), power_pending(),
                  ull(stats_.power_coalesced), ull(limiter_.suppressed_total()), state_.sel.size(), state_.sel.limit(),
                  !has_qmp() ? "none" : qmp_.ready() ? "connected" : qmp_.phase() == qmp_phase::disconnected ? "disconnected" : "connecting",
                  qmp_.status().empty() ? "-" : qmp_.status().c_str());
    return buf;
  }

 private:
  static unsigned long long ull(std::uint64_t v) { return static_cast<unsigned long long>(v); }
  static std::string hex2(unsigned v) {
    char b[4];
    std::snprintf(b, sizeof b, "%02X", v & 0xFFu);
    return b;
  }

  /// The commands this BMC answers: each component's, registered once per VM.
  /// The command registry every VM shares: the same commands for all, built once (5 KiB a VM
  /// would otherwise hold; its counters are not reported).
  static vm_dispatcher& commands() {
    static vm_dispatcher shared = make_commands();
    return shared;
  }
  static vm_dispatcher make_commands() {
    vm_dispatcher d;
    const bmc::add_error added[] = {
        bmc::add_controller_commands<&vm_components::mc, &vm_components::watchdog>(d),
        bmc::add_event_receiver_commands<&vm_components::mc, &vm_components::sel>(d),
        bmc::add_watchdog_commands<&vm_components::watchdog>(d),
        bmc::add_chassis_commands<&vm_components::chassis>(d),
        bmc::add_sel_commands<&vm_components::sel>(d),
        bmc::add_fru_commands<&vm_components::fru>(d),
        bmc::add_guid_commands<&vm_components::ids>(d),
        bmc::add_sdr_commands<&vm_components::sdr>(d),
        bmc::add_user_commands<&vm_components::users>(d),
        bmc::add_channel_commands<&vm_components::users>(d),
        bmc::add_lan_commands<&vm_components::users>(d),
    };
    for (const bmc::add_error e : added)
      if (e != bmc::add_error::ok) log_event("-", "event=internal_error what=add_commands error=%s", std::string(bmc::name(e)).c_str());
    return d;
  }

  /// The session's event handler for one call: forwards to the BMC with the call's time.
  struct events {
    vm_bmc& b;
    time_point now;
    void operator()(const vm::request_event& r) const { b.on_request(r, now); }
    void operator()(const vm::capabilities_event& c) const { b.on_capabilities(c); }
    void operator()(const vm::version_event& v) const {
      if (v.version != 1 && b.admit(log_kind::chatter)) log_event(b.name(), "event=version_mismatch version=%u", static_cast<unsigned>(v.version));
    }
    void operator()(const vm::hardware_event& h) const { b.on_hardware(h, now); }
    void operator()(const vm::protocol_event& p) const { b.on_problem(p); }
  };

  // --- session events ------------------------------------------------------------------------

  void on_request(const vm::request_event& r, time_point now) {
    ++stats_.requests;
    state_.at = {now, wall_()};
    sync_support();
    const bool was_running = state_.watchdog.running();
    std::array<std::uint8_t, vm::max_message_size> body{};
    const bmc::dispatch_result res = commands().dispatch(state_, r.body, bmc::origin{}, body);
    if (!res) return;  // a response's netfn: the session reported it as a protocol problem
    if (res.code == completion_code::invalid_command) ++stats_.unsupported;
    if (res.code == completion_code::success) log_watchdog_command(r, was_running);
    // A change the response acknowledges is on disk first; one that could not be written is not
    // acknowledged (FFh, "unspecified error": the guest may retry).
    std::size_t size = res.size;
    if (!persist() && res.code == completion_code::success) {
      body[2] = static_cast<std::uint8_t>(completion_code::unspecified);
      size = 3;
    }
    // The interface's state before the response (the response then finds it so: an enabled
    // interrupt raises it, SMS_ATN is clear once Clear Message Flags answered).
    tell_interface();
    if (verbose_ && admit(log_kind::verbose))
      log_event(name(), "event=request id=0x%02X netfn=0x%02X cmd=0x%02X data_len=%zu cc=0x%02X",
                r.msg_id, static_cast<unsigned>(r.function()), r.cmd(), r.data().size(), static_cast<unsigned>(res.code));
    const auto e = session_.respond(r.msg_id, std::span<const std::uint8_t>(body.data(), size));
    if (e != vm::session_error::ok) {
      // Only a peer that sends without reading gets here (the server stops reading a VM whose
      // output is backed up): the request is forgotten, the peer times it out itself.
      (void)session_.discard(r.msg_id);
      if (stats_.dropped_responses++ == 0 && admit(log_kind::chatter))
        log_event(name(), "event=response_dropped reason=%s note=\"peer does not read; further drops counted only\"",
                  std::string(vm::name(e)).c_str());
    }
    // §28.3: Chassis Control answers first, then acts (QEMU takes the response before it resets).
    while (const auto rq = state_.chassis.take_request()) carry_out(rq->action);
  }

  void on_capabilities(const vm::capabilities_event& c) {
    std::string names;
    for (const vm::capability cap : vm::all_capabilities_list) {
      if (!c.caps.has(cap)) continue;
      if (!names.empty()) names += ',';
      names += vm::name(cap);
    }
    if (admit(log_kind::chatter)) log_event(name(), "event=capabilities caps=0x%02X names=%s", c.caps.to_byte(), names.empty() ? "none" : names.c_str());
    sync_support();
    // A VM that withdraws what its armed watchdog needs: the watchdog keeps its settings (the
    // guest chose them, and may announce the capability again), but the operator is told now,
    // not at expiry, and `status` shows it until it is fixed.
    const bmc::watchdog& wd = state_.watchdog;
    if (const auto missing = watchdog_missing(); wd.initialized() && missing && admit(log_kind::action))
      log_event(name(), "event=watchdog_unenforceable action=%s missing=%s running=%s note=%s",
                std::string(action_key(wd.timeout_action())).c_str(), std::string(vm::name(*missing)).c_str(),
                wd.running() ? "yes" : "no", quoted("the VM no longer announces what the watchdog needs").c_str());
    // QEMU drops SMS attention when the connection closes; raise it again if a flag is set.
    tell_interface();
  }

  void on_hardware(const vm::hardware_event& h, time_point now) {
    // RESET is the only command an emulator sends a BMC: "the machine was reset", a boot (whose
    // cause this BMC knows only if it asked for it: then it was counted when RESET went out).
    if (admit(log_kind::chatter)) log_event(name(), "event=vm_reports command=%s", std::string(vm::name(h.code)).c_str());
    if (h.code == vm::command::reset && power_on()) (void)state_.chassis.power_changed(true, take_restart_cause(), now);
  }

  /// QMP's power changed to `on()`: the chassis and the power sensor follow. A VM that comes
  /// on because this BMC powered it on boots (restart cause, boot flags); one found running
  /// when QMP connects is assumed on (no boot: ipmikit-bmc or the connection restarted).
  void qmp_follows(bool we_powered_on, time_point now) {
    const bool on = qmp_.on();
    if (!on) (void)state_.chassis.power_changed(false, cmd::restart_cause::unknown, now);
    else if (!first_status_seen_) state_.chassis.assume_power(true, now);
    else (void)state_.chassis.power_changed(true, we_powered_on ? take_restart_cause() : cmd::restart_cause::unknown, now);
    power_sensor_follows();
    if (admit(log_kind::action))
      log_event(name(), "event=power_state power=%s status=%s source=qmp", on ? "on" : "off",
                qmp_.status().empty() ? "-" : qmp_.status().c_str());
  }

  /// What the components may ask of this VM follows its capabilities: a watchdog action or a
  /// Chassis Control the VM cannot carry out is refused with D5.
  void sync_support() {
    const vm::capabilities caps = session_.peer_capabilities();
    bmc::watchdog_support w;
    w.nmi = caps.has(vm::capability::nmi);
    w.messaging = caps.has(vm::capability::attention);
    w.hard_reset = caps.has(vm::capability::reset);
    w.power_down = w.power_cycle = caps.has(vm::capability::power);
    if (has_qmp()) w.hard_reset = w.power_down = w.power_cycle = true;  // QMP carries them out
    state_.watchdog.set_support(w);
    bmc::chassis_support c;
    // A VM that is on: accepted, nothing to do. Off (a LAN client asks): the VM protocol has no
    // power-on (docs/ipmikit-bmc.md, "IPMI over LAN"): refused as not supported now.
    c.power_up = power_on();
    c.power_down = c.power_cycle = caps.has(vm::capability::power);
    c.hard_reset = caps.has(vm::capability::reset);
    c.diagnostic_interrupt = caps.has(vm::capability::nmi);
    c.soft_shutdown = caps.has(vm::capability::graceful_shutdown);
    if (has_qmp()) {  // docs/ipmikit-bmc.md, "Power": what each command does with qmp
      const bool up = qmp_.ready();
      const bool on = qmp_.intended_on();
      c.power_up = up;                 // on when on: nothing to do
      c.power_down = true;             // off when off (or no QEMU): nothing to do
      c.power_cycle = up;              // off → on; on → off, 1 s, on
      c.hard_reset = up && on;         // off: D5
      c.soft_shutdown = up && on;      // off: D5
      c.diagnostic_interrupt = c.diagnostic_interrupt && on;
    }
    state_.chassis.set_support(c);
  }

  /// Tells the VM what the controller says changed: the receive message interrupt enable
  /// (ENABLE_IRQ / DISABLE_IRQ) and SMS attention (ATTN, ATTN_IRQ, NOATTN).
  void tell_interface() {
    if (!session_.connected()) return;
    const bool has_irq = session_.peer_capabilities().has(vm::capability::irq);
    const bmc::controller_changes c = state_.mc.take_changes(state_.watchdog.pretimeout_flag(), has_irq);
    if (c.receive_interrupt) {
      const auto e = session_.enable_irq(*c.receive_interrupt);
      if (admit(log_kind::chatter))
        log_event(name(), "event=%s result=%s", *c.receive_interrupt ? "enable_irq" : "disable_irq", std::string(vm::name(e)).c_str());
    }
    if (c.attention) {
      const auto e = session_.set_attention(c.attention->on, c.attention->interrupt);
      if (e != vm::session_error::ok) state_.mc.attention_not_told(*c.attention);  // told again at the next change
      if (admit(log_kind::chatter))
        log_event(name(), "event=attention on=%s irq=%s flags=0x%02X result=%s", c.attention->on ? "yes" : "no",
                  c.attention->interrupt ? "yes" : "no", static_cast<unsigned>(message_flags()), std::string(vm::name(e)).c_str());
    }
  }

  /// The capability the watchdog's timeout action or pre-timeout interrupt needs and the VM
  /// does not announce, if any (checked when CAPABILITIES changes, and for `status`).
  [[nodiscard]] std::optional<vm::capability> watchdog_missing() const {
    const vm::capabilities caps = session_.peer_capabilities();
    std::optional<vm::capability> need;
    if (!has_qmp()) switch (state_.watchdog.timeout_action()) {  // with qmp, QMP carries them out
      case cmd::watchdog_timeout_action::hard_reset: need = vm::capability::reset; break;
      case cmd::watchdog_timeout_action::power_down:
      case cmd::watchdog_timeout_action::power_cycle: need = vm::capability::power; break;
      case cmd::watchdog_timeout_action::none: break;
    }
    if (need && !caps.has(*need)) return need;
    const auto pre = state_.watchdog.pretimeout_interrupt();
    if (pre == cmd::watchdog_pretimeout_interrupt::nmi && !caps.has(vm::capability::nmi)) return vm::capability::nmi;
    if (pre == cmd::watchdog_pretimeout_interrupt::messaging && !caps.has(vm::capability::attention))
      return vm::capability::attention;
    return std::nullopt;
  }

  void on_problem(const vm::protocol_event& p) {
    ++stats_.protocol_problems;
    // Garbage must not flood the log: the first few per connection, then a count in `status`.
    constexpr unsigned logged_per_connection = 5;
    if (problems_logged_ >= logged_per_connection) return;
    ++problems_logged_;
    if (!admit(log_kind::chatter)) return;
    std::string what(vm::name(p.problem));
    if (p.problem == vm::protocol_problem::malformed_frame) what += ":" + std::string(vm::name(p.decode));
    // The decoder counts over every connection; the log counts from this connection's start.
    log_event(name(), "event=protocol_problem problem=%s offset=%llu%s", what.c_str(),
              static_cast<unsigned long long>(p.offset - std::min(p.offset, connect_offset_)),
              problems_logged_ == logged_per_connection ? " note=\"further problems on this connection counted only\"" : "");
  }

  // --- the watchdog ----------------------------------------------------------------------------

  /// The log lines of an accepted Set or Reset Watchdog Timer.
  void log_watchdog_command(const vm::request_event& r, bool was_running) {
    if (r.is(commands::set_watchdog_timer) && admit(log_kind::chatter))
      log_event(name(), "event=watchdog_set %s running=%s", describe_watchdog().c_str(),
                state_.watchdog.running() ? "yes" : "no");
    if (r.is(commands::reset_watchdog_timer) && !was_running && admit(log_kind::chatter))
      log_event(name(), "event=watchdog_started %s", describe_watchdog().c_str());
  }

  [[nodiscard]] std::string describe_watchdog() const {
    const bmc::watchdog& wd = state_.watchdog;
    char buf[160];
    std::snprintf(buf, sizeof buf, "use=%s action=%s pretimeout=%s pretimeout_s=%u countdown_s=%u.%u dont_log=%s",
                  std::string(use_key(wd.timer_use())).c_str(), std::string(action_key(wd.timeout_action())).c_str(),
                  std::string(pretimeout_key(wd.pretimeout_interrupt())).c_str(),
                  static_cast<unsigned>(wd.pretimeout_interval()), wd.initial_countdown() / 10u,
                  wd.initial_countdown() % 10u, wd.dont_log() ? "yes" : "no");
    return buf;
  }

  /// The watchdog's Watchdog 2 event, unless "don't log": to the SEL and the event message
  /// buffer as the global enables say (bmc::deliver_event). Returns the SEL record's ID, or 0.
  template <class Event>
  std::uint16_t log_watchdog_event(const Event& e) {
    // The Watchdog 2 sensor shows the event's state whether or not it is logged.
    (void)state_.sdr.set_states(watchdog_sensor_number, static_cast<std::uint16_t>(1u << e.event.offset()));
    if (e.dont_log) return 0;
    const auto d = bmc::deliver_event(state_.mc, state_.sel, e.event.sel_record(0, 0, watchdog_sensor_number),
                                      state_.at.wall);
    return d.logged ? d.record_id : std::uint16_t{0};
  }

  void on_watchdog(const bmc::watchdog::pretimeout_event& e, time_point now) {
    ++stats_.pretimeouts;
    const double left = std::max(0.0, std::chrono::duration<double>(e.expires - now).count());
    const std::uint16_t record = log_watchdog_event(e);
    if (admit(log_kind::action))
      log_event(name(), "event=watchdog_pretimeout interrupt=%s seconds_left=%.1f sel_record=%u",
                std::string(pretimeout_key(e.interrupt)).c_str(), left, static_cast<unsigned>(record));
    // A messaging interrupt set the watchdog's flag: attention follows.
    if (e.interrupt == cmd::watchdog_pretimeout_interrupt::nmi) request_power(power_action::nmi, "watchdog_pretimeout");
    tell_interface();
  }

  void on_watchdog(const bmc::watchdog::expiry_event& e, time_point) {
    ++stats_.watchdog_expiries;
    const std::uint16_t record = log_watchdog_event(e);
    if (admit(log_kind::action))
      log_event(name(), "event=watchdog_expired action=%s use=%s dont_log=%s sel_record=%u",
                std::string(action_key(e.action)).c_str(), std::string(use_key(e.timer_use)).c_str(),
                e.dont_log ? "yes" : "no", static_cast<unsigned>(record));
    tell_interface();
    restart_cause_ = cmd::restart_cause::watchdog;
    switch (e.action) {
      case cmd::watchdog_timeout_action::hard_reset: request_power(power_action::reset, "watchdog"); break;
      case cmd::watchdog_timeout_action::power_down: request_power(power_action::power_off, "watchdog"); break;
      case cmd::watchdog_timeout_action::power_cycle:  // without qmp: off, a supervisor restarts it
        request_power(power_action::power_cycle, "watchdog");
        break;
      case cmd::watchdog_timeout_action::none: restart_cause_ = cmd::restart_cause::unknown; break;
    }
  }

  // --- the chassis -----------------------------------------------------------------------------

  /// An accepted Chassis Control, after its response. A reset, or the restart after a power
  /// cycle, is a boot the chassis control caused (Get System Restart Cause).
  void carry_out(cmd::chassis_action a, const char* why = "chassis_control") {
    switch (a) {
      case cmd::chassis_action::power_up:  // without qmp: accepted only while on, nothing to do
        if (!has_qmp()) return;
        if (!power_on()) restart_cause_ = cmd::restart_cause::chassis_control;
        request_power(power_action::power_on, why);
        return;
      case cmd::chassis_action::power_down: request_power(power_action::power_off, why); return;
      case cmd::chassis_action::power_cycle:  // without qmp: off, a supervisor restarts it
        restart_cause_ = cmd::restart_cause::chassis_control;
        request_power(power_action::power_cycle, why);
        return;
      case cmd::chassis_action::hard_reset:
        restart_cause_ = cmd::restart_cause::chassis_control;
        request_power(power_action::reset, why);
        return;
      case cmd::chassis_action::pulse_diagnostic_interrupt: request_power(power_action::nmi, why); return;
      case cmd::chassis_action::soft_shutdown: request_power(power_action::soft_shutdown, why); return;
    }
  }

  /// Why the VM boots now (Get System Restart Cause): what this BMC last did to it, if anything.
  cmd::restart_cause take_restart_cause() {
    const cmd::restart_cause c = restart_cause_;
    restart_cause_ = cmd::restart_cause::unknown;
    return c;
  }

  /// Hands the first queued power command to the session when none is in flight. A full
  /// outbound buffer leaves it queued: consumed() and poll() try again.
  void release_power() {
    while (in_flight_ == power_action::none && queued_count_ > 0) {
      const queued_power q = queue_[0];
      vm::session_error e = vm::session_error::ok;
      switch (q.action) {
        case power_action::power_off: e = session_.power_off(); break;
        case power_action::reset: e = session_.send_reset(); break;
        case power_action::nmi: e = session_.send_nmi(); break;
        case power_action::soft_shutdown: e = session_.graceful_shutdown(); break;
        case power_action::none:
        case power_action::power_on:     // never queued: request_power answers it
        case power_action::power_cycle:  // queued as power_off without qmp
          break;
      }
      if (e == vm::session_error::would_block) return;
      std::copy(queue_.begin() + 1, queue_.begin() + static_cast<std::ptrdiff_t>(queued_count_), queue_.begin());
      --queued_count_;
      if (e != vm::session_error::ok) {  // checked when queued; only a lost capability gets here
        if (admit(log_kind::action))
          log_event(name(), "event=power action=%s reason=%s result=not_sent note=%s",
                    std::string(ipmikit_bmc::name(q.action)).c_str(), q.reason, std::string(vm::name(e)).c_str());
        continue;
      }
      ++stats_.power_actions;
      if (q.action == power_action::power_off) {
        powered_off_ = true;
        (void)state_.chassis.power_changed(false, cmd::restart_cause::unknown, now_);
        power_sensor_follows();
      }
      // QEMU resets the machine on RESET without telling (it never sends RESET back): the boot
      // that follows is this one.
      if (q.action == power_action::reset) (void)state_.chassis.power_changed(true, take_restart_cause(), now_);
      in_flight_ = q.action;
      in_flight_reason_ = q.reason;
      in_flight_unsent_ = session_.pending().size();  // the command is the last byte appended
    }
  }

  /// The power-state sensor reads what power_on() says (no sensor without `power_sensor`).
  void power_sensor_follows() {
    if (cfg_->power_sensor)
      (void)state_.sdr.set_states(power_sensor_number, power_on() ? acpi_s0_working : acpi_g3_mechanical_off);
  }

  /// Restores `c` from `file` (see load_state); false (state_error_ says why) only when the file
  /// exists and cannot be read.
  template <class Component>
  bool restore(Component& c, std::uint64_t& saved, const std::string& file) {
    std::vector<std::uint8_t> bytes;
    const store_status st = store_->load(file, bytes);
    saved = c.generation();
    if (st.error == store_error::not_found) return true;
    if (st.error == store_error::io) {
      state_error_ = st.describe();
      return false;
    }
    // A damaged file (the frame's check), or bytes the component refuses (its own check).
    std::string_view refused = ipmikit_bmc::name(st.error);
    if (st) {
      const auto e = c.load(bytes);
      if (e == decltype(e){}) {  // every component's load error enum has ok = 0
        saved = c.generation();
        log_event(name(), "event=state_loaded path=%s bytes=%zu", quoted(st.path).c_str(), bytes.size());
        if constexpr (std::is_same_v<Component, bmc::users>) users_loaded_ = true;
        return true;
      }
      refused = bmc::name(e);
    }
    const store_status aside = store_->set_aside(file);
    log_event(name(), "event=state_corrupt path=%s error=%s kept_as=%s note=%s", quoted(store_->path_of(file)).c_str(),
              std::string(refused).c_str(), aside ? quoted(aside.path).c_str() : "-",
              quoted(aside ? "started fresh" : "started fresh; not set aside: " + aside.describe()).c_str());
    return true;
  }

  /// Writes `c` to `file` if it changed since `saved`; false (logged) if that failed.
  template <class Component>
  bool save(const Component& c, std::uint64_t& saved, const std::string& file) {
    if (c.generation() == saved) return true;
    std::vector<std::uint8_t> bytes(saved_bytes<Component>);
    bytes.resize(c.save(bytes));
    if (const store_status st = store_->save(file, bytes); !st) {
      if (admit(log_kind::action)) log_event(name(), "event=state_write_failed error=%s", quoted(st.describe()).c_str());
      return false;
    }
    saved = c.generation();
    return true;
  }

  /// A power request waiting for the command ahead of it.
  struct queued_power {
    power_action action = power_action::none;
    const char* reason = "";
  };

  /// The generation of each durable component when it was last written (or read).
  struct generations {
    std::uint64_t sel = 0, chassis = 0, fru = 0, users = 0;
  };

  /// The session's settings from the VM's configuration (its `command_gap`).
  static session_type::config session_config(const vm_config& cfg) {
    session_type::config c;
    c.command_gap = std::chrono::duration_cast<session_type::duration>(std::chrono::milliseconds(cfg.command_gap_ms));
    return c;
  }

  const vm_config* cfg_;
  session_type session_;
  vm_components state_;
  std::optional<state_directory> store_;  // none without a state_dir
  const std::string sel_file = "sel.state";
  const std::string chassis_file = "chassis.state";
  const std::string users_file = "users.state";
  std::string fru_file_;
  generations saved_;
  std::string state_error_;
  bool users_loaded_ = false;  // users.state was read: the configured users gave way to it
  bool store_ready_ = false;   // load_state() read the directory: persist() may write
  vm_stats stats_;
  wall_clock::time_point (*wall_)() = &wall_clock::now;
  std::uint8_t problems_logged_ = 0;
  log_limiter limiter_;
  time_point now_{};                 // the latest time the server passed in (for the log budget)
  std::uint64_t bytes_in_ = 0;       // bytes received over every connection
  std::uint64_t connect_offset_ = 0; // bytes_in_ when this connection began (logged offsets count from it)
  std::array<queued_power, 4> queue_{};  // one entry per power_action at most
  std::size_t queued_count_ = 0;
  power_action in_flight_ = power_action::none;  // handed to the session, not written yet
  const char* in_flight_reason_ = "";
  std::size_t in_flight_unsent_ = 0;             // session bytes up to and including it
  cmd::restart_cause restart_cause_ = cmd::restart_cause::unknown;  // of the boot this BMC caused
  bool powered_off_ = false;   // POWEROFF sent on this connection
  qmp_machine qmp_;            // with `qmp`: QEMU's word on power (qmp.hpp)
  bool qmp_logged_failure_ = false;  // this outage's failed connect was logged
  bool first_status_seen_ = false;   // QMP reported a run state since ipmikit-bmc started
  bool verbose_ = false;
};

}  // namespace ipmikit_bmc
