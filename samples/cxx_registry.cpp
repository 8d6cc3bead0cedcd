/*
 * cxx_registry.cpp - C++ leaks through operator new and operator new[],
 * made inside templates, for the demangler and --short-templates.
 *
 * usage: cxx_registry
 *
 * What it shows
 *   shapes::Registry<shapes::Widget>::make<int&>(int&) leaks 3 Widgets
 *   made with `new` (one call site, 3 x sizeof(Widget) = 3 x 24 bytes), and
 *   shapes::Registry<shapes::Widget>::buffer(unsigned long) leaks one
 *   `new char[1000]` (1000 bytes).  The registry forgets its pointers.
 *   EXPECTED: leaked_blocks=4 leaked_bytes=1072 (also printed to stderr).
 *
 *   The stacks run main -> shapes::fill<shapes::Widget>(...) ->
 *   Registry<Widget>::make<int&> -> operator new(unsigned long) -> malloc,
 *   so a report shows demangled names:
 *     shapes::Registry<shapes::Widget>::make<int&>(int&)
 *     operator new(unsigned long), operator new[](unsigned long)
 *   and with --short-templates: shapes::Registry<...>::make<...>(int&).
 *
 * No iostream: a traced run sees only the program's own allocations.
 */
#include <cstddef>
#include <cstdio>
#include <unistd.h>

namespace shapes {

struct Widget {
    long id, w, h;
    explicit Widget(int i) : id(i), w(2 * i), h(3 * i) {}
};

template <typename T> class Registry {
  public:
    template <typename... Args> __attribute__((noinline)) T *make(Args &&...args)
    {
        T *p = new T(args...);
        last_ = p;
        return p;
    }
    __attribute__((noinline)) char *buffer(std::size_t n)
    {
        char *b = new char[n];
        for (std::size_t i = 0; i < n; i++)
            b[i] = (char)i;
        last_buf_ = b;
        return b;
    }
    void forget() { last_ = nullptr; last_buf_ = nullptr; }
    T *volatile last_ = nullptr;
    char *volatile last_buf_ = nullptr;
};

template <typename T> __attribute__((noinline)) void fill(Registry<T> &r, int n)
{
    for (int i = 0; i < n; i++)
        r.make(i);
    r.buffer(1000);
    r.forget();
}

} // namespace shapes

int main()
{
    shapes::Registry<shapes::Widget> reg;
    shapes::fill(reg, 3);
    char msg[128];
    int n = std::snprintf(msg, sizeof msg,
                          "cxx_registry: expected leaked_blocks=4 leaked_bytes=%zu\n",
                          3 * sizeof(shapes::Widget) + 1000);
    if (n > 0 && write(2, msg, (std::size_t)n) < 0)
        return 1;
    return 0;
}
