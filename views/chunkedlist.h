#pragma once
// A sequence that takes insertions in the middle cheaply: the elements live in chunks of at most kMaxChunk,
// with the first index of each chunk kept beside them. Inserting moves at most one chunk's elements and
// bumps the start of the chunks after it (n / kMaxChunk words), instead of moving every element after the
// insertion point as a vector does. A live tail that adds one stream to a million-stream display order (or to
// a category of 200,000 streams) then moves about a thousand words, not a million.
//
//   operation              cost (n elements, B = kMaxChunk)
//   insert(i, v)           O(log(n/B) + B + n/B)
//   operator[](i)          O(log(n/B))
//   lowerBound/upperBound  O(log n) comparisons
//   iteration              O(1) a step

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <vector>

namespace chronoscope {

template<typename T, size_t MaxChunk = 2048>
class ChunkedList
{
public:
    static constexpr size_t kMaxChunk = MaxChunk;
    static_assert(MaxChunk >= 4, "chunks split in halves");

    ChunkedList() = default;

    size_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }
    /// Number of chunks, and the most elements one holds (tests: insertions keep both bounded).
    size_t chunkCount() const { return m_chunks.size(); }
    size_t largestChunk() const
    {
        size_t most = 0;
        for (const auto& c : m_chunks)
            most = std::max(most, c.size());
        return most;
    }

    const T& operator[](size_t i) const
    {
        const size_t c = chunkOf(i);
        return m_chunks[c][i - m_starts[c]];
    }
    const T& front() const { return m_chunks.front().front(); }
    const T& back() const { return m_chunks.back().back(); }

    void clear()
    {
        m_chunks.clear();
        m_starts.clear();
        m_size = 0;
    }

    /// Replaces the contents, leaving each chunk half full so the first insertions split nothing.
    template<typename It>
    void assign(It first, It last)
    {
        clear();
        for (; first != last; ++first) {
            if (m_chunks.empty() || m_chunks.back().size() >= kMaxChunk / 2) {
                m_starts.push_back(m_size);
                m_chunks.emplace_back();
            }
            m_chunks.back().push_back(*first);
            ++m_size;
        }
    }

    void push_back(const T& v) { insert(m_size, v); }

    /// Inserts v before element i (i == size(): at the end).
    void insert(size_t i, const T& v)
    {
        if (i > m_size)
            i = m_size;
        if (m_chunks.empty()) {
            m_chunks.emplace_back(); // grows as a vector does: a category of one stream holds one element
            m_starts.push_back(0);
        }
        // At a chunk boundary the element goes to the end of the chunk before (appending stays at the end).
        const size_t c = i == m_size ? m_chunks.size() - 1 : chunkOf(i);
        auto& chunk = m_chunks[c];
        chunk.insert(chunk.begin() + std::ptrdiff_t(i - m_starts[c]), v);
        ++m_size;
        for (size_t k = c + 1; k < m_starts.size(); ++k)
            ++m_starts[k];
        if (chunk.size() > kMaxChunk) {
            // Split in halves: the new chunk takes the upper half.
            std::vector<T> upper;
            const size_t half = chunk.size() / 2;
            upper.assign(chunk.begin() + std::ptrdiff_t(half), chunk.end());
            chunk.resize(half);
            const size_t start = m_starts[c] + half;
            m_chunks.insert(m_chunks.begin() + std::ptrdiff_t(c + 1), std::move(upper));
            m_starts.insert(m_starts.begin() + std::ptrdiff_t(c + 1), start);
        }
    }

    /// The first index whose element is not less than key (less(element, key)), in a list sorted by less.
    template<typename K, typename Less>
    size_t lowerBound(const K& key, Less less) const
    {
        const auto c = std::partition_point(m_chunks.begin(), m_chunks.end(),
                                            [&](const std::vector<T>& chunk) { return less(chunk.back(), key); });
        if (c == m_chunks.end())
            return m_size;
        const auto at = std::lower_bound(c->begin(), c->end(), key, less);
        return m_starts[size_t(c - m_chunks.begin())] + size_t(at - c->begin());
    }
    /// The first index whose element is greater than key (less(key, element)), in a list sorted by less.
    template<typename K, typename Less>
    size_t upperBound(const K& key, Less less) const
    {
        const auto c = std::partition_point(m_chunks.begin(), m_chunks.end(),
                                            [&](const std::vector<T>& chunk) { return !less(key, chunk.back()); });
        if (c == m_chunks.end())
            return m_size;
        const auto at = std::upper_bound(c->begin(), c->end(), key, less);
        return m_starts[size_t(c - m_chunks.begin())] + size_t(at - c->begin());
    }

    std::vector<T> toVector() const { return std::vector<T>(begin(), end()); }

    class const_iterator
    {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = T;
        using difference_type = std::ptrdiff_t;
        using pointer = const T*;
        using reference = const T&;
        const_iterator() = default;
        const_iterator(const ChunkedList* list, size_t chunk, size_t offset) : m_list(list), m_chunk(chunk), m_offset(offset) {}
        reference operator*() const { return m_list->m_chunks[m_chunk][m_offset]; }
        pointer operator->() const { return &**this; }
        const_iterator& operator++()
        {
            if (++m_offset == m_list->m_chunks[m_chunk].size()) {
                ++m_chunk;
                m_offset = 0;
            }
            return *this;
        }
        const_iterator operator++(int)
        {
            auto t = *this;
            ++*this;
            return t;
        }
        /// The element's index in the list.
        size_t index() const { return m_chunk < m_list->m_starts.size() ? m_list->m_starts[m_chunk] + m_offset : m_list->m_size; }
        friend bool operator==(const const_iterator& a, const const_iterator& b)
        {
            return a.m_chunk == b.m_chunk && a.m_offset == b.m_offset;
        }
        friend bool operator!=(const const_iterator& a, const const_iterator& b) { return !(a == b); }

    private:
        const ChunkedList* m_list = nullptr;
        size_t m_chunk = 0;
        size_t m_offset = 0;
    };
    const_iterator begin() const { return {this, 0, 0}; }
    const_iterator end() const { return {this, m_chunks.size(), 0}; }
    /// An iterator at element i (end() when i >= size()).
    const_iterator iteratorAt(size_t i) const
    {
        if (i >= m_size)
            return end();
        const size_t c = chunkOf(i);
        return {this, c, i - m_starts[c]};
    }

private:
    size_t chunkOf(size_t i) const
    {
        return size_t(std::upper_bound(m_starts.begin(), m_starts.end(), i) - m_starts.begin()) - 1;
    }

    std::vector<std::vector<T>> m_chunks; ///< never an empty chunk
    std::vector<size_t> m_starts;         ///< index of each chunk's first element
    size_t m_size = 0;
};

} // namespace chronoscope
