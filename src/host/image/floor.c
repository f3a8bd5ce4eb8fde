/*
 * The guest-cost benchmark's floor: what a VM costs with nothing but a tiny
 * static program as its agent. /init execs it (kata_vm_mode=floor) where it
 * would exec node; it opens agent.channel.0 as the agent does, says on the
 * console when and how much memory the guest uses, then echoes whatever the
 * host sends until the VM is stopped.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *CHANNEL = "agent.channel.0";

/* The /dev node of the virtio-serial port named CHANNEL, or 0 while there is none. */
static int find_port(char *dev, size_t size)
{
	DIR *d = opendir("/sys/class/virtio-ports");
	struct dirent *e;
	int found = 0;

	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		char path[512], name[64] = "";
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/name", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(name, sizeof(name), f) && strncmp(name, CHANNEL, strlen(CHANNEL)) == 0) {
			snprintf(dev, size, "/dev/%s", e->d_name);
			found = 1;
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

static long meminfo(const char *key)
{
	char line[256];
	long value = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0 && line[strlen(key)] == ':')
			sscanf(line + strlen(key) + 1, "%ld", &value);
	fclose(f);
	return value;
}

static double uptime(void)
{
	struct timespec t;

	clock_gettime(CLOCK_BOOTTIME, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(void)
{
	char dev[300], buf[4096];
	const struct timespec pause = { 0, 10 * 1000 * 1000 };
	int fd = -1;

	while (fd < 0) {
		if (find_port(dev, sizeof(dev)))
			fd = open(dev, O_RDWR | O_NOCTTY);
		if (fd < 0)
			nanosleep(&pause, NULL);
	}
	printf("kata-vm: floor channel-open uptime=%.2f\n", uptime());
	printf("kata-vm: floor meminfo MemTotal=%ld MemAvailable=%ld\n", meminfo("MemTotal"),
	       meminfo("MemAvailable"));
	fflush(stdout);
	for (;;) {
		/* read() returns 0 while no host is connected: wait, don't spin. */
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n > 0)
			(void)!write(fd, buf, (size_t)n);
		else
			nanosleep(&pause, NULL);
	}
}
