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

// The webhook server's certificate, when no --cert-dir is given: a CA and a serving certificate
// drctl makes itself, kept in a Secret of the system namespace so that every replica serves the
// same one, and whose CA goes into the webhook configurations' caBundle.
//
// Rotation: a replica that starts with less than a month of validity left makes a new pair and
// patches the caBundle; to rotate at once, delete the Secret and restart the replicas. With
// --cert-dir (cert-manager, say), the files are reloaded when they change and the caBundle is
// left to whoever made them.
const (
	certValidity  = 365 * 24 * time.Hour
	certRenewal   = 30 * 24 * time.Hour
	secretCA      = "ca.crt"
	secretTLSCert = corev1.TLSCertKey
	secretTLSKey  = corev1.TLSPrivateKeyKey
)

// servingCertificate makes sure the Secret holds a valid pair for hosts, writes it into a new
// directory and returns that directory and the CA.
func servingCertificate(ctx context.Context, c client.Client, namespace, secret string, hosts []string) (dir string, ca []byte, err error) {
	for attempt := 0; ; attempt++ {
		s := &corev1.Secret{}
		err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: secret}, s)
		switch {
		case err == nil && certUsable(s.Data, hosts):
			return writeCertDir(s.Data)
		case err != nil && !apierrors.IsNotFound(err):
			return "", nil, fmt.Errorf("read the webhook certificate Secret %s/%s: %w", namespace, secret, err)
		}
		data, gerr := newCertificate(hosts)
		if gerr != nil {
			return "", nil, gerr
		}
		if apierrors.IsNotFound(err) {
			s = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: secret}, Type: corev1.SecretTypeTLS, Data: data}
			err = c.Create(ctx, s)
		} else {
			s.Data = data
			err = c.Update(ctx, s)
		}
		switch {
		case err == nil:
			return writeCertDir(data)
		case (apierrors.IsAlreadyExists(err) || apierrors.IsConflict(err)) && attempt < 3:
			continue // another replica made one meanwhile: use it
		default:
			return "", nil, fmt.Errorf("store the webhook certificate in Secret %s/%s: %w", namespace, secret, err)
		}
	}
}

// certUsable reports whether data holds a pair valid for another month for every host.
func certUsable(data map[string][]byte, hosts []string) bool {
	pair, err := tls.X509KeyPair(data[secretTLSCert], data[secretTLSKey])
	if err != nil || len(data[secretCA]) == 0 {
		return false
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil || time.Until(leaf.NotAfter) < certRenewal {
		return false
	}
	for _, h := range hosts {
		if leaf.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

// newCertificate makes a CA and a serving certificate it signs for hosts (names or IPs).
func newCertificate(hosts []string) (map[string][]byte, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "drctl-webhook-ca"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(certValidity),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, BasicConstraintsValid: true, IsCA: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
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
	caCert, _ := x509.ParseCertificate(caDER)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{
		secretCA:      pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		secretTLSCert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		secretTLSKey:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}

// writeCertDir writes the pair where the webhook server reads it.
func writeCertDir(data map[string][]byte) (string, []byte, error) {
	dir, err := os.MkdirTemp("", "drctl-webhook-")
	if err != nil {
		return "", nil, err
	}
	for _, name := range []string{secretTLSCert, secretTLSKey} {
		if err := os.WriteFile(filepath.Join(dir, name), data[name], 0o600); err != nil {
			return "", nil, err
		}
	}
	return dir, data[secretCA], nil
}

// injectCABundle puts ca into every webhook of drctl's webhook configurations named name, so that
// the API server trusts the serving certificate. It reports which configurations were missing
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
			if !bytes.Equal(*b, ca) {
				*b, changed = ca, true
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
