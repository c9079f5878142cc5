// Package dockertest holds the container test: TestDocker runs the smsbot
// image as the README's "Running with Docker" section says, against the
// fake Telegram and fake SMSOnline on this machine, and checks what an admin
// relies on. It needs Docker and an image, so it runs only when
// scripts/docker-test starts it (SMSBOT_DOCKER_TEST=1); otherwise it skips.
package dockertest
