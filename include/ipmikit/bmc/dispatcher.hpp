// ipmikit/bmc/dispatcher.hpp — the BMC core's command registry: which commands a BMC answers,
// with which request lengths and privilege, and the handler of each; the rules every command
// shares are applied here once, before any handler runs.
//
//   bmc::dispatcher<MyBmc> d;
//   d.add<cmd::get_device_id, &get_device_id>(bmc::privilege::user);   // typed: parsed for you
//   d.add({commands::cold_reset, 0, 0, bmc::privilege::administrator, &cold_reset});  // raw bytes
//   bmc::add_commands<&MyBmc::log, bmc::command<cmd::reserve_sel, &Log::reserve, bmc::privilege::user>,
//                     …>(d);  // a component's commands, by its member functions: all or none
//   const auto r = d.dispatch(my_bmc, request_message, {bmc::privilege::administrator}, out);
//   constinit auto s = bmc::make_dispatcher<MyBmc, 32>(bmc::add_sel_commands<&MyBmc::log>, …);
//                                                      // registered at compile time
//
// The rules, in the order they are checked (IPMI v2.0 §5.2 completion codes):
//   - a request of fewer than 2 bytes, or whose netfn is a response's: not answered
//     (dispatch_error::not_a_request; there is nothing to answer it with);
//   - a LUN the BMC does not serve (config::served_luns): 0xC2, invalid command for LUN;
//   - a command not registered: 0xC1, invalid command;
//   - the caller's privilege below the command's: 0xD4, insufficient privilege (the system
//     interface runs at the highest privilege; a LAN session at its own);
//   - request data shorter or longer than the command accepts: 0xC7, request data length invalid;
//   - a typed command's parse error: 0xC7 for a length, 0xCC for a reserved or out-of-range field
//     (cmd::to_completion_code);
//   - the handler's own code (e.g. 0xD5 for a capability the VM lacks, or command-specific).
// A response carries data only with success: an error response is netfn, cmd and the code.
//
// A handler is a plain function (no captures, no heap): it receives the caller's Context (the
// components the BMC is made of) by reference, so a dispatcher can be built in constant
// evaluation and tested at compile time. No clock, no I/O: time reaches handlers through the
// Context or the request.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "../cmd/app.hpp"
#include "../cmd/codec.hpp"
#include "../message.hpp"

namespace ipmikit::bmc {

// ---------------------------------------------------------------------------------------------
// Vocabulary

/// Privilege levels (IPMI v2.0 §6.8), cmd::privilege's. As a command's requirement,
/// `unspecified` (0) means none: the command is allowed without a session (Get System GUID,
/// Get Channel Authentication Capabilities, Get Channel Cipher Suites on a LAN channel).
using privilege = cmd::privilege;

/// Who sent a request: the privilege it runs at and the channel it came in on.
struct origin {
  privilege level = privilege::administrator;  // the system interface's
  std::uint8_t channel = 0x0F;                  // IPMI v2.0 §6.3: 0Fh is the system interface
};

/// A request as a handler sees it.
struct request {
  command_id id{};
  lun target = lun::bmc;
  std::span<const std::uint8_t> data;  // after the command byte
  origin from{};
};

/// What a handler returns: its completion code and, with success, how many data bytes it wrote.
struct reply {
  completion_code code = completion_code::success;
  std::size_t size = 0;
};

/// A raw handler: writes response data (after the completion code) to `out`.
template <class Context>
using handler = reply (*)(Context&, const request&, std::span<std::uint8_t> out);

/// One registered command.
template <class Context>
struct entry {
  command_id id{};
  std::size_t min_length = 0;  // request data bytes accepted
  std::size_t max_length = 0;
  privilege required = privilege::user;
  handler<Context> run = nullptr;
};

/// A typed handler: gets the parsed request, fills the response; returns the completion code.
template <class Context, cmd::command Cmd>
using typed_handler = completion_code (*)(Context&, const typename Cmd::request&, typename Cmd::response&,
                                          const request&);

// ---------------------------------------------------------------------------------------------
// Errors and results

/// Why add() refused an entry.
enum class add_error : std::uint8_t {
  ok = 0,
  full = 1,           // Capacity entries already
  duplicate = 2,      // that netfn and command are registered already
  no_handler = 3,     // run is null
  bad_lengths = 4,    // min_length > max_length
  response_netfn = 5, // the id's netfn is a response's
};

[[nodiscard]] constexpr std::string_view name(add_error e) noexcept {
  return cmd::detail::enum_name<add_error, 6>(
      e, {"ok", "full", "duplicate", "no_handler", "bad_lengths", "response_netfn"});
}

/// Why dispatch() wrote no response.
enum class dispatch_error : std::uint8_t {
  ok = 0,
  not_a_request = 1,     // fewer than 2 bytes, or a response's netfn: nothing to answer
  buffer_too_small = 2,  // `out` has fewer than 3 bytes
};

[[nodiscard]] constexpr std::string_view name(dispatch_error e) noexcept {
  return cmd::detail::enum_name<dispatch_error, 3>(e, {"ok", "not_a_request", "buffer_too_small"});
}

/// What dispatch() did: the response written (size bytes of `out`) and its completion code.
struct dispatch_result {
  std::size_t size = 0;
  completion_code code = completion_code::unspecified;
  dispatch_error error = dispatch_error::ok;

  [[nodiscard]] constexpr explicit operator bool() const noexcept { return error == dispatch_error::ok; }
};

/// Counts, by outcome.
struct dispatcher_stats {
  std::uint64_t requests = 0;        // dispatch() calls
  std::uint64_t not_requests = 0;    // not answered (dispatch_error::not_a_request)
  std::uint64_t wrong_lun = 0;       // 0xC2
  std::uint64_t unknown = 0;         // 0xC1
  std::uint64_t refused_privilege = 0;  // 0xD4
  std::uint64_t bad_length = 0;      // 0xC7 before the handler ran
  std::uint64_t handled = 0;         // handlers run (whatever code they returned)
  std::uint64_t handler_errors = 0;  // handlers that returned a code other than success
};

// ---------------------------------------------------------------------------------------------
// Typed commands as entries

namespace detail {
template <class Context, cmd::command Cmd, typed_handler<Context, Cmd> Fn>
constexpr reply typed_entry_handler(Context& context, const request& r, std::span<std::uint8_t> out) {
  const auto rq = Cmd::request::parse(r.data);
  if (!rq) return {cmd::to_completion_code(rq.error), 0};
  typename Cmd::response rs{};
  const completion_code cc = Fn(context, rq.value, rs, r);
  if (cc != completion_code::success) return {cc, 0};
  const cmd::encoded e = rs.encode(out);
  // A response that does not encode is the handler's bug or an output buffer smaller than
  // the command's max_size: answered 0xFF rather than with bytes that are not the response.
  if (!e) return {completion_code::unspecified, 0};
  return {completion_code::success, e.size};
}
}  // namespace detail

/// The entry for a typed command: request lengths from Cmd::request's bounds.
template <class Context, cmd::command Cmd, typed_handler<Context, Cmd> Fn>
[[nodiscard]] constexpr entry<Context> typed_entry(privilege required) noexcept {
  return {Cmd::id, Cmd::request::min_size, Cmd::request::max_size, required,
          &detail::typed_entry_handler<Context, Cmd, Fn>};
}

// ---------------------------------------------------------------------------------------------
// The dispatcher

template <class Context, std::size_t Capacity = 128>
class dispatcher {
 public:
  struct config {
    /// Bit n set: LUN n is served (IPMI v2.0 §7.2: LUN 00 is the BMC's commands, 10 its
    /// receive message queue, 01 and 11 OEM). A request to another LUN gets 0xC2.
    std::uint8_t served_luns = 0x01;
  };

  constexpr dispatcher() noexcept = default;
  constexpr explicit dispatcher(const config& cfg) noexcept : cfg_(cfg) {}

  /// Registers a command. Refused (and nothing changes) when full, a duplicate, or malformed.
  constexpr add_error add(const entry<Context>& e) noexcept {
    if (const add_error m = malformed(e); m != add_error::ok) return m;
    if (find(e.id.function, e.id.code) != nullptr) return add_error::duplicate;
    if (size_ == Capacity) return add_error::full;
    entries_[size_++] = e;
    return add_error::ok;
  }

  /// Why `e` cannot be registered on any dispatcher (no_handler, bad_lengths, response_netfn),
  /// or ok. In constant evaluation a null handler is not detected: GCC 12 with -fsanitize=null
  /// (UBSan) does not accept comparing a function pointer with null there. So a raw entry with
  /// a null handler in a make_dispatcher table is not refused; the components' tables have none.
  [[nodiscard]] static constexpr add_error malformed(const entry<Context>& e) noexcept {
    if (!std::is_constant_evaluated() && e.run == nullptr) return add_error::no_handler;
    if (e.min_length > e.max_length) return add_error::bad_lengths;
    if (!is_request(e.id.function)) return add_error::response_netfn;
    return add_error::ok;
  }

  /// Registers a typed command whose handler gets the parsed request.
  template <cmd::command Cmd, typed_handler<Context, Cmd> Fn>
  constexpr add_error add(privilege required) noexcept {
    return add(typed_entry<Context, Cmd, Fn>(required));
  }

  /// Answers one request message (`netfn<<2|lun, cmd, data…`), writing the whole response
  /// message (`netfn+1<<2|lun, cmd, completion code, data…`) to `out`. `out` of
  /// vm::max_message_size bytes fits any response; a handler gets what is left after 3 bytes.
  constexpr dispatch_result dispatch(Context& context, std::span<const std::uint8_t> message, origin from,
                                     std::span<std::uint8_t> out) {
    ++stats_.requests;
    const auto view = request_view::parse(message);
    if (!view || !is_request(view->function)) {
      ++stats_.not_requests;
      return {0, completion_code::unspecified, dispatch_error::not_a_request};
    }
    if (out.size() < 3) return {0, completion_code::unspecified, dispatch_error::buffer_too_small};
    out[0] = pack_netfn_lun(response_netfn(view->function), view->lun);
    out[1] = view->command;

    const auto lun_bit = static_cast<unsigned>(1u << static_cast<unsigned>(view->lun));
    if ((cfg_.served_luns & lun_bit) == 0) {
      ++stats_.wrong_lun;
      return answer(out, completion_code::invalid_command_for_lun, 0);
    }
    const entry<Context>* e = find(view->function, view->command);
    if (e == nullptr) {
      ++stats_.unknown;
      return answer(out, completion_code::invalid_command, 0);
    }
    if (static_cast<unsigned>(from.level) < static_cast<unsigned>(e->required)) {
      ++stats_.refused_privilege;
      return answer(out, completion_code::insufficient_privilege, 0);
    }
    const auto data = view->data;
    if (data.size() < e->min_length || data.size() > e->max_length) {
      ++stats_.bad_length;
      return answer(out, completion_code::request_data_length_invalid, 0);
    }
    ++stats_.handled;
    const request r{e->id, view->lun, data, from};
    reply rp = e->run(context, r, out.subspan(3));
    if (rp.code != completion_code::success) {
      ++stats_.handler_errors;
      rp.size = 0;
    }
    if (rp.size > out.size() - 3) rp = {completion_code::unspecified, 0};  // a handler's overrun claim
    return answer(out, rp.code, rp.size);
  }

  /// The entry registered for netfn and command, or null.
  [[nodiscard]] constexpr const entry<Context>* find(netfn function, std::uint8_t code) const noexcept {
    const command_id wanted{static_cast<netfn>(static_cast<unsigned>(function) & ~1u), code};
    for (std::size_t i = 0; i < size_; ++i)
      if (entries_[i].id == wanted) return &entries_[i];
    return nullptr;
  }

  [[nodiscard]] constexpr std::span<const entry<Context>> entries() const noexcept {
    return std::span<const entry<Context>>(entries_.data(), size_);
  }
  [[nodiscard]] constexpr const dispatcher_stats& stats() const noexcept { return stats_; }
  [[nodiscard]] static constexpr std::size_t capacity() noexcept { return Capacity; }

 private:
  static constexpr dispatch_result answer(std::span<std::uint8_t> out, completion_code cc, std::size_t data) noexcept {
    out[2] = static_cast<std::uint8_t>(cc);
    return {3 + data, cc, dispatch_error::ok};
  }

  config cfg_{};
  std::array<entry<Context>, Capacity> entries_{};
  std::size_t size_ = 0;
  dispatcher_stats stats_{};
};

// ---------------------------------------------------------------------------------------------
// For components: registering several commands, and naming the component in the Context

/// Registers every entry of `entries` or none: a command registered already (duplicate), too
/// little room (full) or a malformed entry is refused before anything is added.
template <class Context, std::size_t Capacity, std::size_t N>
constexpr add_error add_all(dispatcher<Context, Capacity>& d, const entry<Context> (&entries)[N]) noexcept {
  for (const auto& e : entries) {
    if (const add_error m = d.malformed(e); m != add_error::ok) return m;
    if (d.find(e.id.function, e.id.code) != nullptr) return add_error::duplicate;
  }
  if (d.entries().size() + N > Capacity) return add_error::full;
  for (const auto& e : entries)
    if (const add_error err = d.add(e); err != add_error::ok) return err;  // not reached: checked above
  return add_error::ok;
}

namespace detail {
template <class T>
struct member_of;
template <class C, class M>
struct member_of<M C::*> {
  using context = C;
  using type = M;
};
}  // namespace detail

/// The type of the data member `Member` points to (a component in a Context).
template <auto Member>
using member_type = typename detail::member_of<decltype(Member)>::type;

/// `Member` points to a data member of Context (or of a base of it): how a component's commands
/// find the component (`add_watchdog_commands<&my_bmc::watchdog>(d)`).
template <class Context, auto Member>
concept has_member = std::is_member_object_pointer_v<decltype(Member)> &&
                     std::is_base_of_v<typename detail::member_of<decltype(Member)>::context, Context>;

/// has_member, and `context.now()` gives the component's time (the dispatcher has no clock).
template <class Context, auto Member>
concept has_member_and_clock = has_member<Context, Member> && requires(Context& c) {
  { c.now() } -> std::convertible_to<typename member_type<Member>::time_point>;
};

/// Whether `support` (a component's table of what the platform can carry out) allows enumerator
/// `e` of an enumeration numbered 0, 1, 2 …: the flag `flags[e]` names (nullptr: always); false
/// past the table.
template <class Support, class E, std::size_t N>
[[nodiscard]] constexpr bool supports(const Support& support, E e, const std::array<bool Support::*, N>& flags) noexcept {
  const auto i = static_cast<std::size_t>(e);
  if (i >= N) return false;
  return flags[i] == nullptr || support.*flags[i];
}

namespace detail {
/// Whether T is a Component<Clock> (basic_watchdog, basic_chassis), a Component<N> (basic_users),
/// a Component<N, Type> (basic_sdr_repository<N, Clock>, basic_fru_inventory<N, Storage>).
template <class T, template <class> class Component>
inline constexpr bool instance_of = false;
template <class Clock, template <class> class Component>
inline constexpr bool instance_of<Component<Clock>, Component> = true;
template <class T, template <std::size_t> class Component>
inline constexpr bool sized_instance_of = false;
template <std::size_t N, template <std::size_t> class Component>
inline constexpr bool sized_instance_of<Component<N>, Component> = true;
template <class T, template <std::size_t, class> class Component>
inline constexpr bool sized_typed_instance_of = false;
template <std::size_t N, class Type, template <std::size_t, class> class Component>
inline constexpr bool sized_typed_instance_of<Component<N, Type>, Component> = true;
}  // namespace detail

/// has_member_and_clock, and the member is a Component<Clock>: a basic_watchdog, a
/// basic_chassis.
template <class Context, auto Member, template <class> class Component>
concept component_context =
    has_member_and_clock<Context, Member> && detail::instance_of<member_type<Member>, Component>;

// ---------------------------------------------------------------------------------------------
// A component's commands: `bmc::command<Cmd, Fn, privilege>` each, registered all or none

namespace detail {
/// Whether `Fn`, a member function of U, takes `Args`.
template <auto Fn, class U, class... Args>
inline constexpr bool takes = std::is_invocable_v<decltype(Fn), U&, Args...>;

/// Whether `Fn` takes what it wants of the request and the response (both, one, or neither, in
/// that order), then `Extra`.
template <auto Fn, class U, class Rq, class Rs, class... Extra>
inline constexpr bool fits = takes<Fn, U, const Rq&, Rs&, const Extra&...> ||
                             takes<Fn, U, const Rq&, const Extra&...> || takes<Fn, U, Rs&, const Extra&...> ||
                             takes<Fn, U, const Extra&...>;

/// `call()`'s result as the command's completion code: a completion code as it is; nothing,
/// success; anything else is the response, or the value of the response's one field (a
/// reservation ID, a GUID, a time), and success.
template <class Response, class Call>
constexpr completion_code answered(Response& rs, const Call& call) {
  using R = decltype(call());
  if constexpr (std::is_same_v<R, completion_code>) {
    return call();
  } else {
    if constexpr (std::is_void_v<R>) call();
    else if constexpr (std::is_assignable_v<Response&, R>) rs = call();
    else rs = Response{{call()}};
    return completion_code::success;
  }
}

/// Calls `Fn` on `u` with what it takes of the request and the response, then `extra`.
template <auto Fn, class U, class Rq, class Rs, class... Extra>
constexpr completion_code call_member(U& u, const Rq& rq, Rs& rs, const Extra&... extra) {
  if constexpr (takes<Fn, U, const Rq&, Rs&, const Extra&...>)
    return answered(rs, [&] { return (u.*Fn)(rq, rs, extra...); });
  else if constexpr (takes<Fn, U, const Rq&, const Extra&...>)
    return answered(rs, [&] { return (u.*Fn)(rq, extra...); });
  else if constexpr (takes<Fn, U, Rs&, const Extra&...>)
    return answered(rs, [&] { return (u.*Fn)(rs, extra...); });
  else
    return answered(rs, [&] { return (u.*Fn)(extra...); });
}

/// Whether `Fn`, a member function of the component U, takes one of the shapes bmc::command
/// describes without the time, or with it (then Context must say what time it is: `now()`).
template <auto Fn, class U, cmd::command Cmd>
inline constexpr bool runs_without_clock =
    fits<Fn, U, typename Cmd::request, typename Cmd::response, request> ||
    fits<Fn, U, typename Cmd::request, typename Cmd::response, std::uint8_t> ||
    fits<Fn, U, typename Cmd::request, typename Cmd::response>;
template <class Context, auto Member, class Cmd, auto Fn>
concept runs_with_clock =
    has_member_and_clock<Context, Member> &&
    (fits<Fn, member_type<Member>, typename Cmd::request, typename Cmd::response,
          typename member_type<Member>::time_point, std::uint8_t> ||
     fits<Fn, member_type<Member>, typename Cmd::request, typename Cmd::response,
          typename member_type<Member>::time_point>);

/// The typed handler of a command the component `context.*Member` answers with its member
/// function `Fn`. The time is read (`context.now()`) only for an `Fn` that takes it.
template <class Context, auto Member, cmd::command Cmd, auto Fn>
constexpr completion_code run_member(Context& c, const typename Cmd::request& rq, typename Cmd::response& rs,
                                     const request& r) {
  using U = member_type<Member>;
  using Rq = typename Cmd::request;
  using Rs = typename Cmd::response;
  U& u = c.*Member;
  if constexpr (fits<Fn, U, Rq, Rs, request>) {
    return call_member<Fn>(u, rq, rs, r);
  } else if constexpr (fits<Fn, U, Rq, Rs, std::uint8_t>) {
    return call_member<Fn>(u, rq, rs, r.from.channel);
  } else if constexpr (fits<Fn, U, Rq, Rs>) {
    return call_member<Fn>(u, rq, rs);
  } else {
    static_assert(runs_with_clock<Context, Member, Cmd, Fn>, "Fn takes none of the shapes bmc::command describes");
    const typename U::time_point now(c.now());
    if constexpr (fits<Fn, U, Rq, Rs, typename U::time_point, std::uint8_t>)
      return call_member<Fn>(u, rq, rs, now, r.from.channel);
    else
      return call_member<Fn>(u, rq, rs, now);
  }
}
}  // namespace detail

/// A command a component answers, at privilege `Required`; bmc::add_commands registers it for
/// the component `context.*Member`. `Fn` is one of:
///   - a member function of the component, called with what it takes of the parsed request and
///     the response to fill (in that order), then one of: the request as the dispatcher saw it
///     (`const bmc::request&`: channel, LUN); its channel (a std::uint8_t); the time
///     (`context.now()` as the component's time_point), then maybe the channel; nothing. It
///     returns the completion code; nothing (success); or the response, or the value of the
///     response's one field (a getter: success);
///   - a typed handler of the whole Context (typed_handler), for a command that needs more than
///     the component;
///   - a raw handler (handler), with Cmd::request's lengths.
template <cmd::command Cmd, auto Fn, privilege Required>
struct command {
  /// Whether `Fn` can answer for the component `context.*Member` (one of the shapes above).
  template <class Context, auto Member>
  static constexpr bool runs_on = std::is_convertible_v<decltype(Fn), handler<Context>> ||
                                  std::is_convertible_v<decltype(Fn), typed_handler<Context, Cmd>> ||
                                  detail::runs_without_clock<Fn, member_type<Member>, Cmd> ||
                                  detail::runs_with_clock<Context, Member, Cmd, Fn>;

  template <class Context, auto Member>
  [[nodiscard]] static constexpr entry<Context> entry_for() noexcept {
    if constexpr (std::is_convertible_v<decltype(Fn), handler<Context>>)
      return {Cmd::id, Cmd::request::min_size, Cmd::request::max_size, Required, Fn};
    else if constexpr (std::is_convertible_v<decltype(Fn), typed_handler<Context, Cmd>>)
      return typed_entry<Context, Cmd, Fn>(Required);
    else
      return typed_entry<Context, Cmd, &detail::run_member<Context, Member, Cmd, Fn>>(Required);
  }
};

/// A component's command table as a value: `command_table<Member, Commands…>{}(d)` registers
/// every command of `Commands` (a bmc::command each) on `d` for the component `context.*Member`,
/// or none (add_all). It takes a Context whose handlers can run: `Member` is a member of it, and
/// it says what time it is if a handler takes the time. Each component names its table once,
/// as a variable template, so that registering reads as a call:
///
///   template <auto Member, class W = member_type<Member>>
///   inline constexpr command_table<Member, command<cmd::reset_watchdog_timer, &W::reset, …>, …>
///       add_watchdog_commands{};                       // add_watchdog_commands<&my_bmc::wd>(d)
template <auto Member, class... Commands>
struct command_table {
  template <class Context, std::size_t Capacity>
    requires has_member<Context, Member> && (Commands::template runs_on<Context, Member> && ...)
  constexpr add_error operator()(dispatcher<Context, Capacity>& d) const noexcept {
    const entry<Context> entries[] = {Commands::template entry_for<Context, Member>()...};
    return add_all(d, entries);
  }
};

/// Registers every command of `Commands` on `d` for the component `context.*Member`, or none:
/// `add_commands<&my_bmc::sel, command<…>, …>(d)` (a command_table used once).
template <auto Member, class... Commands, class Context, std::size_t Capacity>
  requires has_member<Context, Member>
constexpr add_error add_commands(dispatcher<Context, Capacity>& d) noexcept {
  return command_table<Member, Commands...>{}(d);
}

namespace detail {
/// Not constexpr on purpose: make_dispatcher reaching it is a compile error that names it.
inline void a_command_table_could_not_be_registered(add_error) noexcept {}
}  // namespace detail

/// A dispatcher with every table of `tables` registered (in order), built at compile time:
///
///   constinit auto d = bmc::make_dispatcher<my_bmc, 32>(bmc::add_sel_commands<&my_bmc::sel>,
///                                                       bmc::add_guid_commands<&my_bmc::ids>);
///
/// A table is anything called with the dispatcher that returns an add_error: a component's
/// add_*_commands, a command_table, or a lambda. One that cannot be registered (a duplicate
/// command, more commands than Capacity) does not compile, so a static BMC has no registration
/// error left to handle at run time. (consteval: a dispatcher that depends on run-time choices
/// is built with add() and the tables' add_error results.)
template <class Context, std::size_t Capacity = 128, class... Tables>
  requires(std::is_invocable_r_v<add_error, const Tables&, dispatcher<Context, Capacity>&> && ...)
consteval dispatcher<Context, Capacity> make_dispatcher(const Tables&... tables) {
  dispatcher<Context, Capacity> d;
  const auto add = [&d](const auto& table) {
    if (const add_error e = table(d); e != add_error::ok) detail::a_command_table_could_not_be_registered(e);
  };
  (add(tables), ...);
  return d;
}

}  // namespace ipmikit::bmc
