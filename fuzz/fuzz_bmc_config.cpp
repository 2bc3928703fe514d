// fuzz/fuzz_bmc_config.cpp — ipmikit-bmc's configuration reader (apps/ipmikit-bmc/
// config.hpp) and control protocol (control.hpp) on arbitrary text.
//
// The input is a configuration file. Checked: the reader returns (no crash, no throw); an error
// names a line inside the text (or 0) and says something; an accepted configuration keeps its
// promises (at least one VM, unique names, unique non-ephemeral addresses, every VM has an
// address, watchdog_start only with a timeout, values in range) and every listen address prints
// back to text that reads as the same address. Then each input line is also run as a control
// command against the configured VMs (unconnected): the answer ends in "ok" or is one "error"
// line.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <ipmikit-bmc/config.hpp>
#include <ipmikit-bmc/control.hpp>

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ipmikit_bmc;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const config_result r = parse_config(text);
  int lines = 0;
  for (const char ch : text) lines += ch == '\n' ? 1 : 0;
  if (!r.ok()) {
    check(r.error->line >= 0 && r.error->line <= lines + 1);
    check(!r.error->message.empty());
    return 0;
  }
  check(!r.cfg.vms.empty());
  std::set<std::string> names;
  for (const vm_config& v : r.cfg.vms) {
    check(names.insert(v.name).second);
    check(detail::valid_vm_name(v.name));
    check(v.listen.type == listen_address::kind::unix_socket ? !v.listen.path.empty() : !v.listen.host.empty());
    check(!v.watchdog.start_on_connect || v.watchdog.timeout.has_value());
    check(!v.watchdog.timeout || *v.watchdog.timeout != 0);
    check(v.id.device_revision <= 15 && v.id.firmware_major <= 127 && v.id.firmware_minor <= 99);
    check(v.id.manufacturer <= 0xFFFFF);
    listen_address again;
    check(!parse_listen(v.listen.text(), again).has_value());
    check(again == v.listen);
  }

  // Control commands: every line of the input, against the configured VMs.
  g_log_sink = [](std::string_view) {};
  std::vector<std::unique_ptr<vm_bmc>> owned;
  std::vector<vm_bmc*> vms;
  for (const vm_config& v : r.cfg.vms) {
    owned.push_back(std::make_unique<vm_bmc>(v));
    vms.push_back(owned.back().get());
  }
  std::string_view rest = text;
  for (int i = 0; i < 64 && !rest.empty(); ++i) {
    const auto nl = rest.find('\n');
    const std::string answer = control_command(rest.substr(0, nl), vms, time_point{});
    check(!answer.empty() && answer.back() == '\n');
    check(answer.ends_with("ok\n") || answer.starts_with("ok ") || (answer.starts_with("error ") && answer.find('\n') == answer.size() - 1));
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
  }
  return 0;
}
