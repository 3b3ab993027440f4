/* null_responder.c - the transport ceiling of bench/run.
 *
 * A FastCGI responder that does nothing: the same libfcgi threaded accept
 * loop as lib/fcgi_app.c, reads the whole body (so nginx -> responder costs
 * the same bytes as a real delivery), answers 200 "{}".
 *
 *   null_responder SOCKET_PATH [THREADS]
 *
 * Built by bench/run with cc (pkg-config fcgi); not part of the product. */
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int sock;

static void *worker(void *arg)
{
    (void)arg;
    static const char resp[] = "Status: 200 OK\r\nContent-Type: application/json\r\n"
                               "Content-Length: 2\r\n\r\n{}";
    char *buf = malloc(1 << 16);
    FCGX_Request rq;
    if (!buf || FCGX_InitRequest(&rq, sock, 0) != 0)
        return NULL;
    while (FCGX_Accept_r(&rq) >= 0) {
        while (FCGX_GetStr(buf, 1 << 16, rq.in) > 0)
            ;
        FCGX_PutStr(resp, (int)sizeof resp - 1, rq.out);
        FCGX_Finish_r(&rq);
    }
    free(buf);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s SOCKET_PATH [THREADS]\n", argv[0]);
        return 2;
    }
    int threads = argc > 2 ? atoi(argv[2]) : 4;
    if (threads < 1)
        threads = 1;
    if (FCGX_Init() != 0 || (sock = FCGX_OpenSocket(argv[1], 1024)) < 0) {
        perror("null_responder: listen");
        return 1;
    }
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    for (int i = 0; i < threads; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, worker, NULL) != 0)
            return 1;
        pthread_detach(t);
    }
    int sig;
    sigwait(&stop, &sig);
    _exit(0);
}
