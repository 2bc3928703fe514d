// apps/ipmikit-bmc/timers.hpp — one deadline per VM in a min-heap that moves entries in
// place (decrease- and increase-key), so its memory is O(number of VMs) whatever the peers do.
//
// A heap that pushes a new entry whenever a deadline moves and drops stale ones only when they
// reach the top grows without bound: one VM petting a long watchdog in a tight loop pushed
// entries that another VM's earlier deadline kept from ever reaching the top (~39 MB a minute).
// Here each VM has at most one entry, and `slot_of_` says where it is.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "log.hpp"

namespace ipmikit_bmc {

class timer_heap {
 public:
  static constexpr std::size_t none = static_cast<std::size_t>(-1);

  /// Room for VMs 0 … vms-1. The only allocation: nothing grows after this.
  explicit timer_heap(std::size_t vms = 0) { resize(vms); }
  void resize(std::size_t vms) {
    slot_of_.assign(vms, none);
    heap_.clear();
    heap_.reserve(vms);
  }

  /// Sets (or moves, or with nullopt removes) VM `vm`'s deadline.
  void schedule(std::size_t vm, std::optional<time_point> when) {
    if (!when) return cancel(vm);
    std::size_t at = slot_of_[vm];
    if (at == none) {
      at = heap_.size();
      heap_.push_back({*when, vm});
      slot_of_[vm] = at;
      up(at);
      return;
    }
    const time_point before = heap_[at].when;
    heap_[at].when = *when;
    if (*when < before) up(at);
    else down(at);
  }

  void cancel(std::size_t vm) {
    const std::size_t at = slot_of_[vm];
    if (at == none) return;
    slot_of_[vm] = none;
    const std::size_t last = heap_.size() - 1;
    if (at == last) {
      heap_.pop_back();
      return;
    }
    const std::size_t moved = heap_[last].vm;  // the last entry fills the hole, then finds its place
    heap_[at] = heap_[last];
    slot_of_[moved] = at;
    heap_.pop_back();
    up(at);
    down(slot_of_[moved]);
  }

  [[nodiscard]] bool empty() const { return heap_.empty(); }
  [[nodiscard]] std::size_t size() const { return heap_.size(); }
  /// Bytes reserved: fixed at construction (the bound the tests assert).
  [[nodiscard]] std::size_t capacity_bytes() const {
    return heap_.capacity() * sizeof(entry) + slot_of_.capacity() * sizeof(std::size_t);
  }
  [[nodiscard]] time_point next_time() const { return heap_.front().when; }
  [[nodiscard]] std::size_t next_vm() const { return heap_.front().vm; }
  [[nodiscard]] std::optional<time_point> scheduled(std::size_t vm) const {
    const std::size_t at = slot_of_[vm];
    if (at == none) return std::nullopt;
    return heap_[at].when;
  }

 private:
  struct entry {
    time_point when;
    std::size_t vm;
  };

  void swap_slots(std::size_t a, std::size_t b) {
    std::swap(heap_[a], heap_[b]);
    slot_of_[heap_[a].vm] = a;
    slot_of_[heap_[b].vm] = b;
  }
  void up(std::size_t at) {
    while (at > 0) {
      const std::size_t parent = (at - 1) / 2;
      if (!(heap_[at].when < heap_[parent].when)) return;
      swap_slots(at, parent);
      at = parent;
    }
  }
  void down(std::size_t at) {
    for (;;) {
      const std::size_t left = 2 * at + 1;
      if (left >= heap_.size()) return;
      std::size_t least = left;
      if (left + 1 < heap_.size() && heap_[left + 1].when < heap_[left].when) least = left + 1;
      if (!(heap_[least].when < heap_[at].when)) return;
      swap_slots(at, least);
      at = least;
    }
  }

  std::vector<entry> heap_;
  std::vector<std::size_t> slot_of_;  // VM → its index in heap_, or none
};

}  // namespace ipmikit_bmc
