import { App, Chart } from 'cdk8s';

// The example app. It reproduces the seed's setup once the MtlsIngress construct lands.
const app = new App();
new Chart(app, 'mtls-example', { namespace: 'odcp' });
app.synth();
