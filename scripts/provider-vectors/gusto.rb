# Gusto webhook vector checked by the Rails receiver Gusto published in its API docs.
#
# Gusto's docs site repository github.com/Gusto/gusto.github.io (CNAME docs.gusto.com) @
# 5e6daa8d681d2baec01a1f917611d324ca45edd0, `_posts/2018-11-16-webhooks-about.markdown`,
# section "Verification": `verify_response_origin`, a `before_action` that renders 400 unless
# X-Gusto-Signature equals OpenSSL::HMAC.hexdigest(SHA256, GUSTO_VERIFICATION_TOKEN, raw_post).
# This script takes that code block out of the markdown unchanged and runs it in a stand-in
# controller (Rails' before_action/request/render are the only stand-ins); it fails unless the
# pinned signature passes and a tampered body, another token or another signature gets 400.
#
# Usage (Ruby's OpenSSL; no gems):
#   curl -o webhooks-about.markdown https://raw.githubusercontent.com/Gusto/gusto.github.io/5e6daa8d681d2baec01a1f917611d324ca45edd0/_posts/2018-11-16-webhooks-about.markdown
#   ruby --disable-gems <repo>/scripts/provider-vectors/gusto.rb webhooks-about.markdown
# No Ruby installed? Debian 12, unpacked in a scratch dir without installing:
#   apt-get download ruby3.1 libruby3.1 libyaml-0-2 && for d in *.deb; do dpkg -x $d root; done
#   LD_LIBRARY_PATH=root/usr/lib/x86_64-linux-gnu \
#   RUBYLIB=root/usr/lib/ruby/3.1.0:root/usr/lib/x86_64-linux-gnu/ruby/3.1.0 \
#   root/usr/bin/ruby3.1 --disable-gems <repo>/scripts/provider-vectors/gusto.rb webhooks-about.markdown
require "openssl"

# The verification_token example of docs.gusto.com/app-integrations/docs/webhooks, and Gusto's
# documented example event (docs.gusto.com/embedded-payroll/docs/webhooks, compact, its trailing
# comma dropped).
TOKEN = "6590f590-3dba-495e-9bea-c361e1e2efc0"
BODY = '{"uuid":"f7397a24-57ad-4fae-b011-d258e8232900","event_type":"company.provisioned",' \
       '"resource_type":"Company","resource_uuid":"5df911a0-e8e9-412d-8aaf-a46ad193dd96",' \
       '"entity_type":"Company","entity_uuid":"5df911a0-e8e9-412d-8aaf-a46ad193dd96",' \
       '"timestamp":1671058841}'
SIGNATURE = "11e15d48dc902299acfab62cda72cbb3b17de7a274b786adeae51c0057cbdbe0"

doc = File.read(ARGV.fetch(0))
section = doc[doc.index("## Verification")..]
SNIPPET = section[/a rails server consuming this webhook might use the following method:\s*```\n(.*?)```/m, 1]
raise "snippet not found" unless SNIPPET&.include?("def verify_response_origin")

Request = Struct.new(:raw_post, :headers)

# Stands in for an ActionController::Base subclass: what the snippet calls, nothing else.
def controller(token)
  Class.new do
    const_set(:GUSTO_VERIFICATION_TOKEN, token)
    def self.before_action(name) = (@filters ||= []) << name
    def self.filters = @filters
    attr_reader :rendered
    def initialize(request) = @request = request
    def request = @request
    def render(body, status:) = @rendered = status

    class_eval(SNIPPET, "webhooks-about.markdown (Verification)")
  end
end

def status(token, body, signature)
  klass = controller(token)
  action = klass.new(Request.new(body, { "X-Gusto-Signature" => signature }))
  klass.filters.each { |f| action.send(f) }
  action.rendered || :ok
end

puts "ruby #{RUBY_VERSION}, openssl #{OpenSSL::VERSION} (#{OpenSSL::OPENSSL_LIBRARY_VERSION})"
puts "verification_token: #{TOKEN}", "body: #{BODY}", "X-Gusto-Signature: #{SIGNATURE}"
checks = {
  "Gusto's receiver accepts the pinned signature" => status(TOKEN, BODY, SIGNATURE) == :ok,
  "tampered body rejected (400)" => status(TOKEN, " #{BODY}", SIGNATURE) == :bad_request,
  "another token rejected (400)" => status("#{TOKEN}x", BODY, SIGNATURE) == :bad_request,
  "another signature rejected (400)" => status(TOKEN, BODY, "0" * 64) == :bad_request,
}
checks.each { |what, ok| puts "#{ok ? 'ok ' : 'FAILED'} #{what}" }
exit(checks.values.all? ? 0 : 1)
