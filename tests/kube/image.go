package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// pauseImage is the sandbox ("pause") image: nothing can be pulled here, so it
// is made locally from the static catatonit binary in pause mode (-P).
const pauseImage = "localhost/porter/pause:1"

// writePauseArchive writes a docker-archive tarball holding pauseImage, for
// `ctr images import`.
func writePauseArchive(path string) error {
	bin, err := os.ReadFile(pauseBinary())
	if err != nil {
		return fmt.Errorf("pause image: %w (install catatonit)", err)
	}
	epoch := time.Unix(0, 0).UTC()
	var layer bytes.Buffer
	lw := tar.NewWriter(&layer)
	for _, d := range []string{"dev/", "proc/", "sys/", "etc/"} {
		lw.WriteHeader(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755, ModTime: epoch})
	}
	lw.WriteHeader(&tar.Header{Name: "pause", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bin)), ModTime: epoch})
	lw.Write(bin)
	if err := lw.Close(); err != nil {
		return err
	}
	diffID := fmt.Sprintf("sha256:%x", sha256.Sum256(layer.Bytes()))
	config, _ := json.Marshal(map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"created":      epoch.Format(time.RFC3339),
		"config":       map[string]any{"Entrypoint": []string{"/pause", "-P"}, "User": "65535:65535"},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{diffID}},
	})
	configName := fmt.Sprintf("%x.json", sha256.Sum256(config))
	manifest, _ := json.Marshal([]map[string]any{{
		"Config":   configName,
		"RepoTags": []string{pauseImage},
		"Layers":   []string{"layer/layer.tar"},
	}})
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := tar.NewWriter(f)
	add := func(name string, data []byte) {
		w.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data)), ModTime: epoch})
		w.Write(data)
	}
	w.WriteHeader(&tar.Header{Name: "layer/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: epoch})
	add("layer/layer.tar", layer.Bytes())
	add(configName, config)
	add("manifest.json", manifest)
	return w.Close()
}

func pauseBinary() string {
	for _, p := range []string{"/usr/bin/catatonit", "/usr/libexec/podman/catatonit"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "/usr/bin/catatonit"
}
