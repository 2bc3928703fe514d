// fuzz/fuzz_cmd.cpp — every typed command's parse() (include/ipmikit/cmd/) on arbitrary bytes.
//
// Input: [0] which type (mod the number of types + 1; the last is a whole FRU image), then the
// data bytes. Checks:
//  * parse() never reads past the data (ASan);
//  * the laws of tests/parse_laws.hpp, which the unit tests' check_parse_any judges with too:
//    parse() either fails with a named error, leaving the value-initialised T, or gives a value;
//    a parsed value encodes (into exactly max_size bytes, with guard bytes after them that must
//    stay untouched) to between min_size and max_size bytes, and those bytes parse back to the
//    same value; encoding into every shorter buffer is refused with buffer_too_small and writes
//    nothing past the buffer;
//  * the whole-message helpers agree: build_request/build_response then parse_request/
//    parse_response give the value back.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <ipmikit/ipmikit.hpp>

#include "fuzz_common.hpp"
#include "parse_laws.hpp"  // tests/

namespace {

using namespace ipmikit;

template <class... T>
struct type_list {};

// A command contributes its request and its response type.
template <class... Cmd>
using requests_and_responses = type_list<typename Cmd::request..., typename Cmd::response...>;

template <class... A, class... B>
constexpr type_list<A..., B...> operator+(type_list<A...>, type_list<B...>) {
  return {};
}

// Every typed command (a type may appear twice: the same codec tested with more inputs), and
// the records that follow the command conventions.
using all_types = decltype(
    requests_and_responses<
        cmd::get_device_id, cmd::get_self_test_results, cmd::get_device_guid, cmd::get_system_guid,
        cmd::set_bmc_global_enables, cmd::get_bmc_global_enables, cmd::clear_message_flags,
        cmd::get_message_flags, cmd::read_event_message_buffer, cmd::reset_watchdog_timer,
        cmd::set_watchdog_timer, cmd::get_watchdog_timer, cmd::get_channel_authentication_capabilities,
        cmd::get_channel_cipher_suites, cmd::get_channel_info, cmd::get_channel_access,
        cmd::set_channel_access, cmd::get_user_name, cmd::set_user_name, cmd::set_user_password,
        cmd::set_user_access, cmd::get_user_access, cmd::get_system_interface_capabilities>{} +
    requests_and_responses<cmd::get_chassis_status, cmd::chassis_control, cmd::get_system_restart_cause,
                           cmd::get_poh_counter, cmd::set_system_boot_options,
                           cmd::get_system_boot_options>{} +
    requests_and_responses<cmd::get_sensor_reading, cmd::get_sensor_thresholds, cmd::platform_event_message,
                           cmd::platform_event_message_with_generator>{} +
    requests_and_responses<cmd::set_lan_configuration_parameters, cmd::get_lan_configuration_parameters,
                           cmd::set_sol_configuration_parameters, cmd::get_sol_configuration_parameters>{} +
    requests_and_responses<cmd::get_sel_info, cmd::reserve_sel, cmd::get_sel_entry, cmd::add_sel_entry,
                           cmd::delete_sel_entry, cmd::clear_sel, cmd::get_sel_time, cmd::set_sel_time>{} +
    requests_and_responses<cmd::get_sdr_repository_info, cmd::reserve_sdr_repository, cmd::get_sdr>{} +
    requests_and_responses<cmd::get_fru_inventory_area_info, cmd::read_fru_data, cmd::write_fru_data>{} +
    type_list<cmd::sel_record, cmd::sdr_header, cmd::full_sensor_record, cmd::compact_sensor_record,
              cmd::fru_device_locator_record, cmd::mc_device_locator_record>{});

template <class... T>
constexpr std::size_t count(type_list<T...>) {
  return sizeof...(T);
}
// fuzz/make_corpus.py's seeds pick types by this order: 23 App, 6 Chassis, 4 Sensor, 4 Transport,
// 8 SEL, 3 SDR and 3 FRU commands' requests and responses, 6 records; then the FRU image (108).
static_assert(count(all_types{}) == 108, "update fuzz/make_corpus.py's cmd_seeds()");

template <class T>
void check(std::span<const std::uint8_t> data) {
  if (const char* broken = test::parse_law_broken<T>(data)) ::ipmikit::fuzz::fail(__FILE__, __LINE__, broken);
}

template <class... T>
void check_one_of(type_list<T...>, std::size_t which, std::span<const std::uint8_t> data) {
  std::size_t i = 0;
  ((i++ == which ? check<T>(data) : void()), ...);
}


// A whole FRU image (its own error type): a parsed image builds an image that parses the same.
void check_fru_image(std::span<const std::uint8_t> data) {
  const auto p = cmd::fru_image::parse(data);
  if (!p) {
    FUZZ_CHECK(!cmd::name(p.error).empty());
    return;
  }
  std::vector<std::uint8_t> out(8 * 256 + 3 * 8 * 256);  // offsets reach 8 x 255; areas 8 x 255 each
  const auto e = p.value.encode(out);
  FUZZ_CHECK(e);
  const auto again = cmd::fru_image::parse(std::span<const std::uint8_t>(out.data(), e.size));
  FUZZ_CHECK(again);
  FUZZ_CHECK(again.value == p.value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::span<const std::uint8_t> rest(data + 1, size - 1);
  const std::size_t which = data[0] % (count(all_types{}) + 1);
  if (which == count(all_types{})) {
    check_fru_image(rest);
  } else {
    check_one_of(all_types{}, which, rest);
  }
  return 0;
}
