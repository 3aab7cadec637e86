// Stand-in for ankerl::unordered_dense (https://github.com/martinus/unordered_dense), which
// Debian does not package. The worker uses only map, set and hash, with the standard
// unordered-container API, so they map onto the standard library. Speed and iteration order
// differ from the real header (which iterates in insertion order until an erase); this is a test
// SFU, and the worker's own Node test suite passes on it (see the offline-build notes).
#ifndef VAS_FRAME_EXPORT_ANKERL_UNORDERED_DENSE_STANDIN_H
#define VAS_FRAME_EXPORT_ANKERL_UNORDERED_DENSE_STANDIN_H

#include <functional>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace ankerl::unordered_dense
{
	template<class Key>
	using hash = std::hash<Key>;

	template<
	  class Key,
	  class T,
	  class Hash      = hash<Key>,
	  class KeyEqual  = std::equal_to<Key>,
	  class Allocator = std::allocator<std::pair<const Key, T>>>
	using map = std::unordered_map<Key, T, Hash, KeyEqual, Allocator>;

	template<class Key, class Hash = hash<Key>, class KeyEqual = std::equal_to<Key>, class Allocator = std::allocator<Key>>
	using set = std::unordered_set<Key, Hash, KeyEqual, Allocator>;
} // namespace ankerl::unordered_dense

#endif
