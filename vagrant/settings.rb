# frozen_string_literal: true

# The Vagrantfile's settings: defaults (the tutorial's), then vagrant/settings.yml if present, then SWARMLAB_*
# environment variables. Every value is checked before any machine is touched; a bad one raises SettingsError with
# one line naming the setting, the value and a fix that passes. Plain Ruby (no Vagrant), so that it can be tested
# with `ruby -e`.
require "ipaddr"
require "yaml"

module SwarmLab
  class SettingsError < StandardError; end

  # The box `npm run box` (scripts/box.sh) builds and registers for libvirt.
  LIBVIRT_BOX = "swarmlab-debian13"
  # The tutorial's: a public Debian LTS box (its users have internet; Docker comes from Debian's packages).
  VIRTUALBOX_BOX = "bento/debian-12"
  MAX_WORKERS = 20

  # setting => [environment variable, default]
  SETTINGS = {
    "box" => ["SWARMLAB_BOX", nil], # nil: the provider's default box (above)
    "cpus" => ["SWARMLAB_CPUS", 1],
    "memory" => ["SWARMLAB_MEMORY", 1024],
    "workers" => ["SWARMLAB_WORKERS", 2],
    "subnet" => ["SWARMLAB_SUBNET", "192.168.56.0/24"],
    "libvirt_driver" => ["SWARMLAB_LIBVIRT_DRIVER", nil], # nil: kvm where KVM can run a guest, else qemu
    "libvirt_mgmt_subnet" => ["SWARMLAB_LIBVIRT_MGMT_SUBNET", "192.168.55.0/24"],
  }.freeze

  Node = Struct.new(:name, :ip, :role, keyword_init: true)

  Settings = Struct.new(:box, :cpus, :memory, :workers, :subnet, :libvirt_driver, :libvirt_mgmt_subnet,
                        keyword_init: true) do
    # "192.168.56" of "192.168.56.0/24".
    def prefix
      subnet.split("/").first.split(".")[0, 3].join(".")
    end

    # The tutorial's machines: the manager at .10, the workers at .11, .12, …
    def nodes
      [Node.new(name: "swarm-manager", ip: "#{prefix}.10", role: "manager")] +
        (1..workers).map { |i| Node.new(name: "swarm-worker#{i}", ip: "#{prefix}.#{10 + i}", role: "worker") }
    end

    def box_for(provider)
      box || (provider.to_s == "libvirt" ? LIBVIRT_BOX : VIRTUALBOX_BOX)
    end

    # Names of the libvirt networks this lab makes (one per subnet, so two labs on two subnets do not collide).
    def libvirt_lab_network
      "swarmlab-#{prefix}"
    end

    def libvirt_mgmt_network
      "swarmlab-mgmt-#{libvirt_mgmt_subnet.split('/').first.split('.')[0, 3].join('.')}"
    end
  end

  # Reads the settings. `env` is ENV or a Hash; `file` a YAML file of `setting: value` lines (absent: ignored).
  def self.settings(env: ENV, file: File.join(__dir__, "settings.yml"))
    from_file = read_file(file)
    values = {}
    SETTINGS.each do |key, (var, default)|
      if env[var] && !env[var].to_s.strip.empty?
        values[key] = [env[var].to_s.strip, "#{var}"]
      elsif from_file.key?(key)
        values[key] = [from_file[key], "#{File.basename(file)} #{key}"]
      else
        values[key] = [default, nil]
      end
    end
    Settings.new(
      box: box(*values["box"]),
      cpus: whole(*values["cpus"], 1, 64, "cpus"),
      memory: whole(*values["memory"], 512, 65_536, "memory"),
      workers: whole(*values["workers"], 1, MAX_WORKERS, "workers"),
      subnet: subnet(*values["subnet"], "subnet"),
      libvirt_driver: driver(*values["libvirt_driver"]),
      libvirt_mgmt_subnet: subnet(*values["libvirt_mgmt_subnet"], "libvirt_mgmt_subnet"),
    ).tap { |s| check_distinct(s) }
  end

  def self.read_file(file)
    return {} unless file && File.file?(file)

    data = YAML.safe_load(File.read(file)) || {}
    raise SettingsError, "#{file}: not a map of setting: value lines" unless data.is_a?(Hash)

    unknown = data.keys.map(&:to_s) - SETTINGS.keys
    unless unknown.empty?
      raise SettingsError, "#{file}: unknown setting #{unknown.join(', ')}. Known: #{SETTINGS.keys.join(', ')}"
    end

    data.transform_keys(&:to_s)
  rescue Psych::SyntaxError => e
    raise SettingsError, "#{file}: not valid YAML (#{e.message})"
  end

  # `source` is where a value came from ("SWARMLAB_WORKERS", "settings.yml workers"); nil for a default.
  def self.fail!(key, source, value, why)
    var = SETTINGS[key][0]
    fix_value = { "box" => LIBVIRT_BOX, "libvirt_driver" => "qemu" }.fetch(key, SETTINGS[key][1])
    where = source || var
    fix = if source&.start_with?("SWARMLAB_") || source.nil?
            "#{var}=#{fix_value}"
          else
            "#{key}: #{fix_value} in vagrant/settings.yml"
          end
    raise SettingsError, "#{where} = #{value.to_s.inspect}: #{why}. Fix: #{fix}"
  end

  def self.whole(value, source, min, max, key)
    text = value.to_s
    unless text.match?(/\A[0-9]+\z/) && text.to_i.between?(min, max)
      fail!(key, source, value, "must be a whole number from #{min} to #{max}#{key == 'memory' ? ' (MB)' : ''}")
    end
    text.to_i
  end

  def self.box(value, source)
    return nil if value.nil?

    text = value.to_s
    fail!("box", source, value, "not a box name (letters, digits, '.', '_', '-', at most one '/')") unless
      text.match?(%r{\A[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?\z})
    text
  end

  def self.driver(value, source)
    return nil if value.nil?

    text = value.to_s
    fail!("libvirt_driver", source, value, "must be kvm or qemu (QEMU's software emulation)") unless
      %w[kvm qemu].include?(text)
    text
  end

  # A /24 of 192.168.0.0/16, written a.b.c.0/24: the lab's addresses are <prefix>.10, .11, …
  # (10.0.0.0/8 is Swarm's overlay pool, 172.16.0.0/12 Docker's bridges: the same rule as `swarmlab:subnet`.)
  def self.subnet(value, source, key)
    text = value.to_s
    ok = text.match?(%r{\A192\.168\.([0-9]{1,3})\.0/24\z}) && text.split(".")[2].to_i <= 255
    fail!(key, source, value, "must be a /24 of 192.168.0.0/16, written 192.168.N.0/24") unless ok
    IPAddr.new(text)
    text
  end

  def self.check_distinct(settings)
    return unless settings.subnet == settings.libvirt_mgmt_subnet

    raise SettingsError, "SWARMLAB_LIBVIRT_MGMT_SUBNET = #{settings.libvirt_mgmt_subnet.inspect}: the same as the lab's " \
                         "subnet. Fix: SWARMLAB_LIBVIRT_MGMT_SUBNET=#{settings.subnet == '192.168.55.0/24' ? '192.168.54.0/24' : '192.168.55.0/24'}"
  end

  # One machine of a lab that swarmlab's Pulumi `vagrant` backend drives (lab/backends/vagrant/): each `vagrant up`
  # makes exactly one machine, named and described by the lab, on the lab's own libvirt networks (made beforehand by
  # the backend). Given only through the environment, all together: SWARMLAB_NODE=name:role:ip, SWARMLAB_LAB,
  # SWARMLAB_OWNER, SWARMLAB_AUTHORIZED_KEY (the lab's public key for user vagrant) and SWARMLAB_PRIVATE_KEY_FILE (its
  # private half, which Vagrant uses too once the machine has the public one). Without SWARMLAB_NODE: nil,
  # and the Vagrantfile makes the tutorial's machines as before.
  BackendNode = Struct.new(:lab, :owner, :name, :role, :ip, :authorized_key, :private_key_file, keyword_init: true) do
    # Everything the machine belongs to, as the backend finds it again without any state (libvirt's description).
    def description
      "swarmlab.lab=#{lab},swarmlab.owner=#{owner},swarmlab.node=#{name},swarmlab.role=#{role}"
    end

    def domain_prefix
      "#{lab}-"
    end

    def lab_network
      "#{lab}-lab"
    end

    def mgmt_network
      "#{lab}-mgmt"
    end

    def node
      Node.new(name: name, ip: ip, role: role)
    end

    # The MAC of its lab NIC, from its address (52:54:00 is QEMU's prefix; the lab's subnet is unique on the host):
    # the machine's own script finds the NIC by it.
    def lab_mac
      "52:54:00:#{ip.split('.')[1, 3].map { |o| format('%02x', o.to_i) }.join(':')}"
    end
  end

  NAME_RULE = /\A[a-z0-9][a-z0-9-]{0,62}\z/i.freeze

  def self.backend_node(env: ENV)
    spec = env["SWARMLAB_NODE"].to_s.strip
    return nil if spec.empty?

    name, role, ip = spec.split(":", 3)
    ok = name.to_s.match?(NAME_RULE) && %w[manager worker].include?(role) &&
         ip.to_s.match?(/\A192\.168\.\d{1,3}\.\d{1,3}\z/)
    raise SettingsError, "SWARMLAB_NODE = #{spec.inspect}: must be name:role:ip (role manager or worker, ip in 192.168.0.0/16)" unless ok

    lab = env["SWARMLAB_LAB"].to_s.strip
    owner = env["SWARMLAB_OWNER"].to_s.strip
    key = env["SWARMLAB_AUTHORIZED_KEY"].to_s.strip
    key_file = env["SWARMLAB_PRIVATE_KEY_FILE"].to_s.strip
    raise SettingsError, "SWARMLAB_LAB = #{lab.inspect}: a lab name is needed with SWARMLAB_NODE" unless lab.match?(NAME_RULE)
    raise SettingsError, "SWARMLAB_OWNER = #{owner.inspect}: an owner id is needed with SWARMLAB_NODE" unless owner.match?(/\A[A-Za-z0-9._-]+\z/)
    raise SettingsError, "SWARMLAB_AUTHORIZED_KEY: an OpenSSH public key is needed with SWARMLAB_NODE" unless key.match?(/\Assh-[a-z0-9-]+ [A-Za-z0-9+\/=]+( .*)?\z/)

    raise SettingsError, "SWARMLAB_PRIVATE_KEY_FILE = #{key_file.inspect}: the path of the lab's private key is needed with SWARMLAB_NODE" unless key_file.start_with?("/")

    BackendNode.new(lab: lab, owner: owner, name: name, role: role, ip: ip, authorized_key: key, private_key_file: key_file)
  end

  # Where scripts/box.sh keeps the newest box it built.
  def self.cached_box(env: ENV)
    File.join(env["XDG_CACHE_HOME"] || File.join(Dir.home, ".cache"), "swarmlab", "box", "#{LIBVIRT_BOX}.box")
  end

  # The lab's box is registered with Vagrant, or can be added from the build cache.
  def self.libvirt_box_available?(env: ENV)
    boxes = File.join(env["VAGRANT_HOME"] || File.join(Dir.home, ".vagrant.d"), "boxes", LIBVIRT_BOX)
    File.directory?(boxes) || File.file?(cached_box(env: env))
  end

  # "kvm" when KVM can run a guest here, else "qemu" (software emulation). /dev/kvm may exist and still fail to
  # run guests (seen: QEMU aborts on an MSR with -cpu host), so a probe starts QEMU with KVM for a few seconds: a
  # QEMU that is still running then (SeaBIOS waiting for a boot device) means KVM works. The answer is kept in
  # `cache` (per project), so the probe runs once.
  def self.libvirt_driver(cache:, qemu: "qemu-system-x86_64", timeout_s: 3)
    return File.read(cache).strip if cache && File.file?(cache) && %w[kvm qemu].include?(File.read(cache).strip)

    answer = kvm_runs_guests?(qemu, timeout_s) ? "kvm" : "qemu"
    if cache
      require "fileutils"
      FileUtils.mkdir_p(File.dirname(cache))
      File.write(cache, "#{answer}\n")
    end
    answer
  end

  def self.kvm_runs_guests?(qemu, timeout_s)
    return false unless File.readable?("/dev/kvm") && File.writable?("/dev/kvm")

    binary = ENV.fetch("PATH", "").split(File::PATH_SEPARATOR).map { |d| File.join(d, qemu) }.find { |f| File.executable?(f) }
    return false unless binary

    pid = Process.spawn(binary, "-accel", "kvm", "-cpu", "host", "-machine", "pc", "-m", "64", "-nodefaults",
                        "-no-user-config", "-display", "none", "-serial", "none", "-monitor", "none", "-net", "none",
                        in: File::NULL, out: File::NULL, err: File::NULL)
    deadline = Time.now + timeout_s
    while Time.now < deadline
      return false if Process.waitpid(pid, Process::WNOHANG) # it ended: KVM could not run it

      sleep 0.1
    end
    Process.kill("KILL", pid)
    Process.waitpid(pid)
    true
  rescue SystemCallError
    false
  end
end
