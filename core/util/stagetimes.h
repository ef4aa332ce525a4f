#pragma once
// Per-stage wall and thread-CPU times of long work (an import, a store's finish), printed on stderr when the
// environment sets CHRONOSCOPE_TIMINGS (docs/scale.md "Import"). Off by default: one getenv per StageTimes.

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace chronoscope {

class StageTimes
{
public:
    explicit StageTimes(const char* scope) : m_scope(scope), m_on(enabled())
    {
        if (m_on)
            now(&m_wall, &m_cpu);
    }

    static bool enabled()
    {
        const char* v = std::getenv("CHRONOSCOPE_TIMINGS");
        return v && *v && *v != '0';
    }
    bool on() const { return m_on; }

    /// Prints the time since the previous mark (or the start) under `stage`, and restarts the clock.
    void mark(const char* stage)
    {
        if (!m_on)
            return;
        double wall = 0, cpu = 0;
        now(&wall, &cpu);
        std::fprintf(stderr, "timing %s/%s: %.1f ms wall, %.1f ms cpu (this thread)\n", m_scope, stage,
                     (wall - m_wall) * 1e3, (cpu - m_cpu) * 1e3);
        m_wall = wall;
        m_cpu = cpu;
    }

    /// Prints a figure measured elsewhere (a wait, a count) under `stage`.
    void note(const char* stage, double ms) const
    {
        if (m_on)
            std::fprintf(stderr, "timing %s/%s: %.1f ms\n", m_scope, stage, ms);
    }

    /// This thread's CPU time, s.
    static double threadCpu()
    {
        timespec t{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
        return double(t.tv_sec) + double(t.tv_nsec) / 1e9;
    }
    static double monotonic()
    {
        timespec t{};
        clock_gettime(CLOCK_MONOTONIC, &t);
        return double(t.tv_sec) + double(t.tv_nsec) / 1e9;
    }

private:
    static void now(double* wall, double* cpu)
    {
        *wall = monotonic();
        *cpu = threadCpu();
    }
    const char* m_scope;
    bool m_on;
    double m_wall = 0, m_cpu = 0;
};

} // namespace chronoscope
