// A thread-safe least-recently-used map bounded by the bytes of its values.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace systole::services::internal {

template <typename Value>
class LruCache {
 public:
  // `size_of` tells the bytes a value holds.
  LruCache(std::size_t max_bytes, std::size_t (*size_of)(const Value&)) : max_bytes_(max_bytes), size_of_(size_of) {}

  std::shared_ptr<const Value> Get(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = map_.find(key);
    if (it == map_.end()) {
      ++misses_;
      return nullptr;
    }
    ++hits_;
    order_.splice(order_.begin(), order_, it->second);
    return it->second->value;
  }

  void Put(const std::string& key, std::shared_ptr<const Value> value) {
    const std::size_t bytes = size_of_(*value) + key.size() + 64;
    if (bytes > max_bytes_) return;  // would evict everything for one entry
    std::lock_guard lock(mutex_);
    if (auto it = map_.find(key); it != map_.end()) {
      bytes_ -= it->second->bytes;
      order_.erase(it->second);
      map_.erase(it);
    }
    order_.push_front({key, std::move(value), bytes});
    map_[key] = order_.begin();
    bytes_ += bytes;
    while (bytes_ > max_bytes_ && !order_.empty()) {
      bytes_ -= order_.back().bytes;
      map_.erase(order_.back().key);
      order_.pop_back();
    }
  }

  struct Stats {
    std::size_t entries, bytes, hits, misses;
  };
  Stats stats() const {
    std::lock_guard lock(mutex_);
    return {map_.size(), bytes_, hits_, misses_};
  }

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const Value> value;
    std::size_t bytes;
  };
  const std::size_t max_bytes_;
  std::size_t (*size_of_)(const Value&);
  mutable std::mutex mutex_;
  std::list<Entry> order_;
  std::unordered_map<std::string, typename std::list<Entry>::iterator> map_;
  std::size_t bytes_ = 0, hits_ = 0, misses_ = 0;
};

}  // namespace systole::services::internal
