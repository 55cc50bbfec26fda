package node

import (
	"fmt"

	"cloudwindow/auth"
)

// authOptions configures accounts and tokens: login limits, the key that
// seals the signing keys, and ending live sockets when sessions end.
func (n *Node) authOptions() (auth.Options, error) {
	opts, err := AuthOptions(n.cfg)
	if err != nil {
		return auth.Options{}, err
	}
	opts.Registerer = n.registry
	opts.OnSessionsEnded = n.relay.sessionsEnded
	return opts, nil
}

// AuthOptions is what opening the accounts of a node configured by cfg
// takes, also from the admin command line: the same login limits and
// key-encryption keys. A node given no key-encryption key generates one on
// its first start and keeps it in DataDir/secrets.
func AuthOptions(cfg Config) (auth.Options, error) {
	cfg.setDefaults()
	keks, err := auth.LoadKeyEncryptionKeys(cfg.KeyEncryptionKey, cfg.KeyEncryptionKeyFile, auth.DefaultKeyEncryptionKeyFile(cfg.DataDir))
	if err != nil {
		return auth.Options{}, fmt.Errorf("key-encryption key: %w", err)
	}
	return auth.Options{LoginLimits: cfg.LoginLimits, KeyEncryptionKeys: keks, BcryptCost: cfg.BcryptCost, Logger: cfg.Logger}, nil
}
