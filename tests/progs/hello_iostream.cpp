// hello_iostream - a C++ hello world for test_reach_valgrind.py, compiled by
// the test itself with g++ (the project is C; the test skips without g++).
// libstdc++ allocates its 72,704 B exception emergency pool at start-up and
// keeps it in a global: still reachable, not a leak.
#include <iostream>

int main()
{
    std::cout << "hello, world" << std::endl;
    return 0;
}
