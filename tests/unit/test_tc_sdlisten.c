/* test_tc_sdlisten.c: Check tests for socket activation (common/tc_sdlisten.c):
 * reading LISTEN_PID/LISTEN_FDS, refusing descriptors that are not stream
 * sockets, matching inherited sockets to bind addresses, and the error that
 * names a socket no address asked for. */
#include <check.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tc_sdlisten.h"

#define HIGH_FD 200 /* where tests put descriptors, clear of Check's own */

static char err[256];

static unsigned local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    return ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                    : ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* A listening socket for spec, moved to fd `at`. */
static int listening_at(const char *spec, int at)
{
    tc_addr a;
    ck_assert_int_eq(tc_addr_parse(spec, 0, &a, err, sizeof err), 0);
    int fd = tc_listen(&a, 8, err, sizeof err);
    ck_assert_msg(fd >= 0, "%s", err);
    ck_assert_int_eq(dup2(fd, at), at);
    close(fd);
    return at;
}

static void parse(tc_addr *a, const char *spec)
{
    ck_assert_msg(tc_addr_parse(spec, 0, a, err, sizeof err) == 0, "%s", err);
}

START_TEST(count_follows_sd_listen_fds)
{
    ck_assert_int_eq(tc_sdlisten_count(NULL, "2", 42, err, sizeof err), 0);
    ck_assert_int_eq(tc_sdlisten_count("42", NULL, 42, err, sizeof err), 0);
    ck_assert_int_eq(tc_sdlisten_count("42", "2", 42, err, sizeof err), 2);
    ck_assert_int_eq(tc_sdlisten_count("42", "0", 42, err, sizeof err), 0);
    ck_assert_int_eq(tc_sdlisten_count("42", "64", 42, err, sizeof err), 64);
}
END_TEST

START_TEST(count_for_another_process_is_zero)
{
    /* The variables were meant for a parent (or a process we replaced): not ours. */
    ck_assert_int_eq(tc_sdlisten_count("43", "2", 42, err, sizeof err), 0);
    ck_assert_int_eq(tc_sdlisten_count("43", "garbage", 42, err, sizeof err), 0);
}
END_TEST

START_TEST(count_errors_name_the_variable)
{
    ck_assert_int_eq(tc_sdlisten_count("abc", "1", 42, err, sizeof err), -1);
    ck_assert_str_eq(err, "LISTEN_PID=abc: not a process id");
    ck_assert_int_eq(tc_sdlisten_count("0", "1", 42, err, sizeof err), -1);
    ck_assert_int_eq(tc_sdlisten_count("", "1", 42, err, sizeof err), -1);
    ck_assert_int_eq(tc_sdlisten_count("42", "two", 42, err, sizeof err), -1);
    ck_assert_str_eq(err, "LISTEN_FDS=two: not a number of sockets from 0 to 64");
    ck_assert_int_eq(tc_sdlisten_count("42", "-1", 42, err, sizeof err), -1);
    ck_assert_int_eq(tc_sdlisten_count("42", "65", 42, err, sizeof err), -1);
    ck_assert_int_eq(tc_sdlisten_count("42", "", 42, err, sizeof err), -1);
    ck_assert_int_eq(tc_sdlisten_count("42", "1x", 42, err, sizeof err), -1);
}
END_TEST

START_TEST(adopt_refuses_non_sockets)
{
    tc_sdlisten sd;
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(dup2(p[0], HIGH_FD), HIGH_FD);
    ck_assert_int_eq(tc_sdlisten_adopt(&sd, HIGH_FD, 1, err, sizeof err), -1);
    ck_assert_str_eq(err, "LISTEN_FDS: fd 200 is not a socket");
    close(HIGH_FD);
    ck_assert_int_eq(tc_sdlisten_adopt(&sd, HIGH_FD, 1, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "fd 200: Bad file descriptor"));
    close(p[0]);
    close(p[1]);
}
END_TEST

START_TEST(adopt_refuses_datagram_sockets)
{
    tc_sdlisten sd;
    listening_at("127.0.0.1:0", HIGH_FD);
    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    ck_assert_int_eq(dup2(udp, HIGH_FD + 1), HIGH_FD + 1);
    close(udp);
    ck_assert_int_eq(tc_sdlisten_adopt(&sd, HIGH_FD, 2, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "fd 201 is not a stream socket"));
    close(HIGH_FD);
    close(HIGH_FD + 1);
}
END_TEST

START_TEST(adopt_marks_close_on_exec)
{
    tc_sdlisten sd;
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_eq(dup2(sv[0], HIGH_FD), HIGH_FD); /* dup2: no FD_CLOEXEC */
    ck_assert_int_eq(tc_sdlisten_adopt(&sd, HIGH_FD, 1, err, sizeof err), 0);
    ck_assert_uint_eq(sd.n, 1);
    ck_assert_int_ne(fcntl(HIGH_FD, F_GETFD) & FD_CLOEXEC, 0);
    close(HIGH_FD);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

START_TEST(claim_matches_tcp_address_and_port)
{
    tc_sdlisten sd;
    listening_at("127.0.0.1:0", HIGH_FD);
    unsigned port = local_port(HIGH_FD);
    ck_assert_int_eq(tc_sdlisten_adopt(&sd, HIGH_FD, 1, err, sizeof err), 0);
    char spec[64];
    tc_addr a;
    snprintf(spec, sizeof spec, "127.0.0.2:%u", port);
    parse(&a, spec);
    ck_assert_int_eq(tc_sdlisten_claim(&sd, &a), 0);
    snprintf(spec, sizeof spec, "127.0.0.1:%u", port == 65535 ? 1 : port + 1);
    parse(&a, spec);
    ck_assert_int_eq(tc_sdlisten_claim(&sd, &a), 0);
    ck_assert_int_eq(tc_sdlisten_unclaimed(&sd, err, sizeof err), -1);
    char want[128];
    snprintf(want, sizeof want,
             "LISTEN_FDS: inherited socket fd 200 (127.0.0.1:%u) matches no --bind address", port);
    ck_assert_str_eq(err, want);
    snprintf(spec, sizeof spec, "127.0.0.1:%u", port);
    parse(&a, spec);
    ck_assert_int_eq(tc_sdlisten_claim(&sd, &a), 1);
    ck_assert_int_eq(a.fd, HIGH_FD);
    ck_assert_int_eq(tc_sdlisten_claim(&sd, &a), 0); /* each socket serves one bind */
    ck_assert_int_eq(tc_sdlisten_unclaimed(&sd, err, sizeof err), 0);
    close(HIGH_FD);
}
END_TEST

START_TEST(claim_matches_unix_path)
{
    char dir[] = "/tmp/tc_sdlisten_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char spec[128], other[128];
    snprintf(spec, sizeof spec, "unix:%s/app.sock", dir);
    snprintf(other, sizeof other, "unix:%s/other.sock", dir);
    listening_at(spec, HIGH_FD);
    tc_sdlisten sd;
    ck_assert_int_eq(tc_sdlisten_adopt(&sd, HIGH_FD, 1, err, sizeof err), 0);
    tc_addr a;
    parse(&a, other);
    ck_assert_int_eq(tc_sdlisten_claim(&sd, &a), 0);
    ck_assert_int_eq(tc_sdlisten_unclaimed(&sd, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, spec));
    parse(&a, spec);
    ck_assert_int_eq(tc_sdlisten_use(&sd, &a), 1);
    ck_assert_int_eq(tc_listen(&a, 8, err, sizeof err), HIGH_FD);
    ck_assert_int_eq(tc_sdlisten_unclaimed(&sd, err, sizeof err), 0);
    close(HIGH_FD);
    unlink(spec + 5);
    rmdir(dir);
}
END_TEST

START_TEST(claim_fd_spec_by_number)
{
    tc_sdlisten sd;
    listening_at("127.0.0.1:0", HIGH_FD);
    ck_assert_int_eq(tc_sdlisten_adopt(&sd, HIGH_FD, 1, err, sizeof err), 0);
    tc_addr a;
    parse(&a, "fd://200");
    ck_assert_int_eq(tc_sdlisten_claim(&sd, &a), 1);
    ck_assert_int_eq(a.fd, HIGH_FD);
    close(HIGH_FD);
}
END_TEST

/* An [::]:PORT socket taking IPv4 too (systemd's ListenStream=PORT) serves
 * 0.0.0.0:PORT; one with IPV6_V6ONLY does not. */
static void check_dual_stack(int v6only, int expect)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0)
        return; /* no IPv6 in this sandbox: nothing to check */
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    struct sockaddr_in6 any = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
    if (bind(fd, (struct sockaddr *)&any, sizeof any) != 0) {
        close(fd);
        return;
    }
    ck_assert_int_eq(listen(fd, 8), 0);
    ck_assert_int_eq(dup2(fd, HIGH_FD), HIGH_FD);
    close(fd);
    tc_sdlisten sd;
    ck_assert_int_eq(tc_sdlisten_adopt(&sd, HIGH_FD, 1, err, sizeof err), 0);
    char spec[64];
    tc_addr a;
    snprintf(spec, sizeof spec, ":%u", local_port(HIGH_FD));
    parse(&a, spec);
    ck_assert_int_eq(tc_sdlisten_claim(&sd, &a), expect);
    snprintf(spec, sizeof spec, "[::]:%u", local_port(HIGH_FD));
    parse(&a, spec);
    ck_assert_int_eq(tc_sdlisten_claim(&sd, &a), !expect);
    close(HIGH_FD);
}

START_TEST(claim_dual_stack_wildcard)
{
    check_dual_stack(0, 1);
    check_dual_stack(1, 0);
}
END_TEST

/* In a child, as systemd starts a daemon: the socket at fd 3, the variables
 * naming this pid.  Exits 0 when the bind claimed it and the variables are gone. */
static void child_takes(const char *spec, const char *fds_var, int pid_delta)
{
    char pid[32];
    listening_at(spec, TC_SDLISTEN_FIRST_FD);
    snprintf(pid, sizeof pid, "%ld", (long)getpid() + pid_delta);
    setenv("LISTEN_PID", pid, 1);
    setenv("LISTEN_FDS", fds_var, 1);
    setenv("LISTEN_FDNAMES", "web", 1);
    tc_sdlisten sd;
    int rc = tc_sdlisten_take(&sd, err, sizeof err);
    if (getenv("LISTEN_PID") || getenv("LISTEN_FDS") || getenv("LISTEN_FDNAMES"))
        _exit(10);
    if (rc != 0)
        _exit(11);
    tc_addr a;
    if (tc_addr_parse(spec, 0, &a, err, sizeof err) != 0)
        _exit(12);
    _exit((int)sd.n * 20 + tc_sdlisten_claim(&sd, &a));
}

static int run_child(const char *spec, const char *fds_var, int pid_delta)
{
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        child_takes(spec, fds_var, pid_delta);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    return WEXITSTATUS(status);
}

START_TEST(take_from_environment_and_unset_it)
{
    char dir[] = "/tmp/tc_sdlisten_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char spec[128];
    snprintf(spec, sizeof spec, "unix:%s/app.sock", dir);
    ck_assert_int_eq(run_child(spec, "1", 0), 21); /* one socket, claimed */
    ck_assert_int_eq(run_child(spec, "1", 1), 0);  /* LISTEN_PID of another process */
    ck_assert_int_eq(run_child(spec, "0", 0), 0);
    ck_assert_int_eq(run_child(spec, "x", 0), 11); /* an error, variables unset anyway */
    unlink(spec + 5);
    rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("tc_sdlisten");
    TCase *tc = tcase_create("sdlisten");
    tcase_add_test(tc, count_follows_sd_listen_fds);
    tcase_add_test(tc, count_for_another_process_is_zero);
    tcase_add_test(tc, count_errors_name_the_variable);
    tcase_add_test(tc, adopt_refuses_non_sockets);
    tcase_add_test(tc, adopt_refuses_datagram_sockets);
    tcase_add_test(tc, adopt_marks_close_on_exec);
    tcase_add_test(tc, claim_matches_tcp_address_and_port);
    tcase_add_test(tc, claim_matches_unix_path);
    tcase_add_test(tc, claim_fd_spec_by_number);
    tcase_add_test(tc, claim_dual_stack_wildcard);
    tcase_add_test(tc, take_from_environment_and_unset_it);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
