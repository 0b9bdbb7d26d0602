package controller

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The webhook server's certificate, when no --cert-dir is given: a CA (its key too) and a serving
// certificate it signs, which drctl makes itself and keeps in a Secret of the system namespace, so
// that every replica serves the same one; the CA goes into the webhook configurations' caBundle.
//
// Rotation: the serving certificate lasts a year and the CA ten. Every replica looks at the
// Secret at start and every hour: with less than a month left, the first to look renews the
// serving certificate under the same CA (nothing else changes), and each rewrites its files, which
// the webhook server reloads. A CA with less than a year left is replaced, the old one staying in
// the caBundle next to the new until it expires. A new CA is always added to what the webhook
// configurations trust before a replica serves under it, and CAs already there stay until they
// expire (another replica may still serve under one). To rotate at once, delete the Secret and
// restart the replicas; to stop trusting an old CA, apply the configurations again (drctl install
// --serve) and restart.
const (
	caRenewal      = 365 * 24 * time.Hour
	certValidity   = 365 * 24 * time.Hour
	certRenewal    = 30 * 24 * time.Hour
	secretCA       = "ca.crt"
	secretCAKey    = "ca.key"
	secretOldCA    = "ca-previous.crt"
	secretTLSCert  = corev1.TLSCertKey
	secretTLSKey   = corev1.TLSPrivateKeyKey
	certCheckEvery = time.Hour
)

// servingCertificate makes sure the Secret holds a pair valid for another month for hosts, and
// returns it.
func servingCertificate(ctx context.Context, c client.Client, namespace, secret string, hosts []string) (map[string][]byte, error) {
	for attempt := 0; ; attempt++ {
		s := &corev1.Secret{}
		err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: secret}, s)
		switch {
		case err == nil && certUsable(s.Data, hosts):
			return s.Data, nil
		case err != nil && !apierrors.IsNotFound(err):
			return nil, fmt.Errorf("read the webhook certificate Secret %s/%s: %w", namespace, secret, err)
		}
		data, gerr := renewCertificate(s.Data, hosts)
		if gerr != nil {
			return nil, gerr
		}
		if apierrors.IsNotFound(err) {
			s = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: secret}, Type: corev1.SecretTypeTLS, Data: data}
			err = c.Create(ctx, s)
		} else {
			s.Data = data
			err = c.Update(ctx, s) // guarded by its resourceVersion
		}
		switch {
		case err == nil:
			return data, nil
		case (apierrors.IsAlreadyExists(err) || apierrors.IsConflict(err)) && attempt < 3:
			continue // another replica renewed it meanwhile: use theirs
		default:
			return nil, fmt.Errorf("store the webhook certificate in Secret %s/%s: %w", namespace, secret, err)
		}
	}
}

// certUsable reports whether data holds a CA and a pair valid for another month for every host.
func certUsable(data map[string][]byte, hosts []string) bool {
	pair, err := tls.X509KeyPair(data[secretTLSCert], data[secretTLSKey])
	if err != nil {
		return false
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil || time.Until(leaf.NotAfter) < certRenewal {
		return false
	}
	ca, _, err := parseCA(data)
	if err != nil || time.Until(ca.NotAfter) < caRenewal || leaf.CheckSignatureFrom(ca) != nil {
		return false
	}
	for _, h := range hosts {
		if leaf.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

func parseCA(data map[string][]byte) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certBlock, _ := pem.Decode(data[secretCA])
	keyBlock, _ := pem.Decode(data[secretCAKey])
	if certBlock == nil || keyBlock == nil {
		return nil, nil, fmt.Errorf("no CA")
	}
	ca, err := x509.ParseCertificate(certBlock.Bytes)
	if err != nil {
		return nil, nil, err
	}
	key, err := x509.ParseECPrivateKey(keyBlock.Bytes)
	if err != nil {
		return nil, nil, err
	}
	return ca, key, nil
}

// renewCertificate issues a serving certificate for hosts under old's CA, or under a new CA when
// old has none that lasts another year (the old CA is kept to stay trusted meanwhile).
func renewCertificate(old map[string][]byte, hosts []string) (map[string][]byte, error) {
	now := time.Now()
	data := map[string][]byte{}
	ca, caKey, err := parseCA(old)
	if err != nil || time.Until(ca.NotAfter) < caRenewal {
		if err == nil && now.Before(ca.NotAfter) {
			data[secretOldCA] = old[secretCA]
		}
		if caKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			return nil, err
		}
		tmpl := &x509.Certificate{
			SerialNumber: serial(), Subject: pkix.Name{CommonName: "drctl-webhook-ca"},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(caLifetime),
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, BasicConstraintsValid: true, IsCA: true,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &caKey.PublicKey, caKey)
		if err != nil {
			return nil, err
		}
		if ca, err = x509.ParseCertificate(der); err != nil {
			return nil, err
		}
	} else if prev := old[secretOldCA]; len(prev) > 0 {
		data[secretOldCA] = prev
	}
	caKeyDER, err := x509.MarshalECPrivateKey(caKey)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: hosts[0]},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(certValidity),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	data[secretCA] = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})
	data[secretCAKey] = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: caKeyDER})
	data[secretTLSCert] = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	data[secretTLSKey] = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	return data, nil
}

// caLifetime is how long a CA serve makes lasts (a variable: tests make short-lived ones).
var caLifetime = 10 * 365 * 24 * time.Hour

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}

// caBundleOf is what trusts data's certificate: its CA, and the previous one while it lasts.
func caBundleOf(data map[string][]byte) []byte {
	return append(append([]byte{}, data[secretCA]...), data[secretOldCA]...)
}

// writeCertDir writes the pair into dir, where the webhook server reads it (and rereads it when
// it changes), each file replaced whole.
func writeCertDir(dir string, data map[string][]byte) error {
	for _, name := range []string{secretTLSKey, secretTLSCert} {
		tmp := filepath.Join(dir, "."+name)
		if err := os.WriteFile(tmp, data[name], 0o600); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

// useCertificate makes the certificate the one this replica serves: its CA is trusted first (added
// to what the webhook configurations trust: other replicas may still serve the one before), then
// the files are replaced. It reports which configurations are missing.
func useCertificate(ctx context.Context, c client.Client, webhookCfg, dir string, data map[string][]byte) ([]string, error) {
	missing, err := injectCABundle(ctx, c, webhookCfg, caBundleOf(data))
	if err != nil {
		return nil, err
	}
	return missing, writeCertDir(dir, data)
}

// mergeCABundles is bundle with the certificates of existing that are not in it and have not
// expired: a CA another replica's certificate may still need.
func mergeCABundles(existing, bundle []byte) []byte {
	out := append([]byte{}, bundle...)
	for rest := existing; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return out
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil || time.Now().After(cert.NotAfter) {
			continue
		}
		if enc := pem.EncodeToMemory(block); !bytes.Contains(out, enc) {
			out = append(out, enc...)
		}
	}
}

// certRefresher is serve's own certificate kept current (see above) in every replica: a manager
// Runnable that is not elected.
type certRefresher struct {
	client                        client.Client
	namespace, secret, webhookCfg string
	hosts                         []string
	dir                           string
	log                           interface{ Warn(string, ...any) }
}

func (r *certRefresher) NeedLeaderElection() bool { return false }

func (r *certRefresher) Start(ctx context.Context) error {
	t := time.NewTicker(certCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := r.refresh(ctx); err != nil {
			r.log.Warn("keep the webhook certificate current", "err", err)
		}
	}
}

// refresh renews the certificate if due, rewrites the files and keeps the caBundle.
func (r *certRefresher) refresh(ctx context.Context) error {
	data, err := servingCertificate(ctx, r.client, r.namespace, r.secret, r.hosts)
	if err != nil {
		return err
	}
	_, err = useCertificate(ctx, r.client, r.webhookCfg, r.dir, data)
	return err
}

// injectCABundle adds ca to what every webhook of drctl's webhook configurations named name
// trusts (keeping CAs there that have not expired), so that the API server trusts the serving
// certificate. It reports which configurations were missing
// (serve was not installed with its webhooks).
func injectCABundle(ctx context.Context, c client.Client, name string, ca []byte) (missing []string, err error) {
	v := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	m := &admissionregistrationv1.MutatingWebhookConfiguration{}
	configs := []struct {
		obj     client.Object
		kind    string
		bundles func() []*[]byte
	}{
		{v, "ValidatingWebhookConfiguration", func() (b []*[]byte) {
			for i := range v.Webhooks {
				b = append(b, &v.Webhooks[i].ClientConfig.CABundle)
			}
			return b
		}},
		{m, "MutatingWebhookConfiguration", func() (b []*[]byte) {
			for i := range m.Webhooks {
				b = append(b, &m.Webhooks[i].ClientConfig.CABundle)
			}
			return b
		}},
	}
	for _, cfg := range configs {
		switch err := c.Get(ctx, client.ObjectKey{Name: name}, cfg.obj); {
		case apierrors.IsNotFound(err):
			missing = append(missing, cfg.kind+" "+name)
			continue
		case err != nil:
			return nil, err
		}
		changed := false
		for _, b := range cfg.bundles() {
			if merged := mergeCABundles(*b, ca); !bytes.Equal(*b, merged) {
				*b, changed = merged, true
			}
		}
		if !changed {
			continue
		}
		if err := c.Update(ctx, cfg.obj); err != nil {
			return nil, fmt.Errorf("set the caBundle of %s %s: %w", cfg.kind, name, err)
		}
	}
	return missing, nil
}

// certHosts are the names the serving certificate is for: the webhook Service's, loopback, and
// the bind host.
func certHosts(service, namespace, bindHost string) []string {
	hosts := []string{service + "." + namespace + ".svc", service + "." + namespace + ".svc.cluster.local", service + "." + namespace, "localhost", "127.0.0.1"}
	if bindHost != "" && !slices.Contains(hosts, bindHost) {
		hosts = append(hosts, bindHost)
	}
	return hosts
}
